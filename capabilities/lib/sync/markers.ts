import { createHash } from "node:crypto";

/** API group and version of the operator's kinds (Vidra's, unchanged). */
export const GROUP = "infrahub.operators.com";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Vidra's ownership marks on applied objects, kept for compatibility and for the drift watch selector. */
export const MANAGED_BY_KEY = "managed-by";
export const MANAGED_BY_VALUE = "vidra";
export const OWNED_BY_ANNOTATION = "vidraresource.infrahub.operators.com/owned-by";

/** Vidra's finalizer on VidraResources. */
export const VIDRA_RESOURCE_FINALIZER = "vidraresource.infrahub.operators.com/finalizer";

/** On VidraResources made by a sync: the sync's name, and the artifact's target and name. */
export const SYNC_LABEL = `${GROUP}/sync`;
export const TARGET_ANNOTATION = `${GROUP}/target`;
export const ARTIFACT_ANNOTATION = `${GROUP}/artifact`;

/**
 * On a VidraResource that its InfrahubSync suspended (value: the sync's name): resuming the sync
 * lifts only these suspensions, never one a person set.
 */
export const SUSPENDED_BY_SYNC_ANNOTATION = `${GROUP}/suspended-by-sync`;

/** Any new value asks for an immediate sync (InfrahubSync) or re-apply (VidraResource). */
export const SYNC_NOW_ANNOTATION = `${GROUP}/sync-now`;

/** The operator's field manager for its own kinds (VidraResources, status). */
export const OPERATOR_FIELD_MANAGER = "vidra-pepr";
const OWNER_MANAGER_PREFIX = "vidra-pepr/";

/**
 * Each VidraResource applies with a field manager of its own, so the API server tracks which owner
 * set which field: two owners that agree share fields, two that disagree get a conflict instead of
 * overwriting each other on every pass. Field manager names are limited to 128 bytes.
 */
export function ownerFieldManager(owner: string): string {
  const name = `${OWNER_MANAGER_PREFIX}${owner}`;
  if (name.length <= 128) return name;
  const digest = createHash("sha256").update(owner).digest("hex").slice(0, 16);
  return `${name.slice(0, 128 - 17)}-${digest}`;
}

export function isOwnerFieldManager(manager: string | undefined): boolean {
  return !!manager && manager.startsWith(OWNER_MANAGER_PREFIX);
}

/**
 * One annotation per owner on every applied object, `owner.vidraresource.infrahub.operators.com/<owner>`
 * with the owner's name as value, applied by that owner's own field manager. The API server tracks
 * each key per manager, so owners joining and leaving at once cannot drop each other (a shared comma
 * list, rewritten by each, could). The key's name part is limited to 63 characters: longer owner
 * names are shortened with a digest (the value keeps the full name).
 */
export const OWNER_MARK_PREFIX = "owner.vidraresource.infrahub.operators.com/";

export function ownerMarkKey(owner: string): string {
  if (owner.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(owner))
    return `${OWNER_MARK_PREFIX}${owner}`;
  const digest = createHash("sha256").update(owner).digest("hex").slice(0, 20);
  const head = owner
    .slice(0, 42)
    .replace(/[^A-Za-z0-9]+$/, "")
    .replace(/^[^A-Za-z0-9]+/, "");
  return `${OWNER_MARK_PREFIX}${head ? `${head}-` : ""}${digest}`;
}

/**
 * The field manager that holds the marks of owners listed only in Vidra's comma list when an
 * object is taken over from Vidra (or from an operator version without per-owner marks): their
 * marks are written at once, conditional on the list read, so no listed owner is lost.
 */
export const LEGACY_MARKS_FIELD_MANAGER = "vidra-pepr-legacy-owners";

/** The owners listed in the owned-by annotation (Vidra's comma-separated list), without duplicates. */
export function parseOwners(annotation: string | undefined): string[] {
  if (!annotation) return [];
  return [
    ...new Set(
      annotation
        .split(",")
        .map(s => s.trim())
        .filter(Boolean),
    ),
  ];
}

export function formatOwners(owners: Iterable<string>): string {
  return [...new Set(owners)].sort().join(",");
}

export function isManagedByVidra(
  meta: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined,
): boolean {
  return (
    meta?.labels?.[MANAGED_BY_KEY] === MANAGED_BY_VALUE ||
    meta?.annotations?.[MANAGED_BY_KEY] === MANAGED_BY_VALUE
  );
}

/** One of the operator's own objects as an Event's involvedObject. */
export function involvedObject(
  kind: "InfrahubSync" | "VidraResource",
  obj: { metadata: { name: string; uid?: string } },
): { apiVersion: string; kind: string; name: string; uid?: string } {
  return { apiVersion: API_VERSION, kind, name: obj.metadata.name, uid: obj.metadata.uid };
}
