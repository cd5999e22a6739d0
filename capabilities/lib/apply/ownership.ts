import type { KubeObject, ObjectMeta } from "../kube/client";
import type { NormalizedObject, ObjectRef } from "../manifest/types";
import {
  formatOwners,
  GROUP,
  MANAGED_BY_KEY,
  MANAGED_BY_VALUE,
  OWNED_BY_ANNOTATION,
  OWNER_MARK_PREFIX,
  ownerMarkKey,
  parseOwners,
} from "../sync/markers";

type Meta = Pick<ObjectMeta, "annotations" | "labels"> | undefined;

/** The owners that marked the object with their own annotation (sorted, without duplicates). */
export function markedOwners(meta: Meta): string[] {
  const owners = Object.entries(meta?.annotations ?? {})
    .filter(([k]) => k.startsWith(OWNER_MARK_PREFIX))
    .map(([k, v]) => v || k.slice(OWNER_MARK_PREFIX.length));
  return [...new Set(owners)].sort();
}

/**
 * Who owns an object: the per-owner marks when there are any; otherwise Vidra's comma list (an
 * object Vidra, or a version of this operator without marks, wrote), with `legacy` set.
 */
export function ownersOf(meta: Meta): { owners: string[]; legacy: boolean } {
  const marked = markedOwners(meta);
  if (marked.length) return { owners: marked, legacy: false };
  const listed = parseOwners(meta?.annotations?.[OWNED_BY_ANNOTATION]);
  return { owners: listed, legacy: listed.length > 0 };
}

/**
 * What Vidra's owned-by list should say: derived from the marks, never decided on. An object
 * without marks keeps its legacy list.
 */
export function derivedOwnersList(meta: Meta): string | undefined {
  const marked = markedOwners(meta);
  if (marked.length) return formatOwners(marked);
  return meta?.annotations?.[OWNED_BY_ANNOTATION];
}

/**
 * Legacy owners whose marks must be written before `owner` applies its own (which would otherwise
 * make the object look owned by `owner` alone): every other entry of Vidra's list, when the object
 * has no marks yet.
 */
export function legacyOwnersToMark(meta: Meta, owner: string): string[] {
  const { owners, legacy } = ownersOf(meta);
  return legacy ? owners.filter(o => o !== owner) : [];
}

/** The object with the ownership marks: label and annotation managed-by, and the owner's own mark. */
export function withMarks(obj: KubeObject | NormalizedObject["object"], owner: string): KubeObject {
  const meta = (obj.metadata ?? {}) as ObjectMeta;
  return {
    ...obj,
    metadata: {
      ...meta,
      labels: { ...(meta.labels ?? {}), [MANAGED_BY_KEY]: MANAGED_BY_VALUE },
      annotations: {
        ...(meta.annotations ?? {}),
        [MANAGED_BY_KEY]: MANAGED_BY_VALUE,
        [ownerMarkKey(owner)]: owner,
      },
    },
  };
}

/** apiVersion, kind, name and namespace only: applying it gives up every field a manager set. */
export function identityOf(live: KubeObject | undefined, ref: ObjectRef): KubeObject {
  return {
    apiVersion: live?.apiVersion ?? ref.apiVersion,
    kind: live?.kind ?? ref.kind,
    metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
  };
}

/** The legacy owners' marks, applied by one field manager (see LEGACY_MARKS_FIELD_MANAGER). */
export function legacyMarksPatch(
  live: KubeObject,
  ref: ObjectRef,
  owners: readonly string[],
): KubeObject {
  const id = identityOf(live, ref);
  return {
    ...id,
    metadata: {
      ...id.metadata,
      resourceVersion: live.metadata?.resourceVersion,
      annotations: Object.fromEntries(owners.map(o => [ownerMarkKey(o), o])),
    },
  };
}

/** Whether an owner reference points at a VidraResource (Vidra set them on local objects). */
export function isVidraResourceOwnerRef(ref: Record<string, unknown>): boolean {
  const apiVersion = String(ref.apiVersion ?? "");
  return ref.kind === "VidraResource" && apiVersion.split("/")[0] === GROUP;
}

/**
 * The owner references to keep when taking an object over or orphaning it: all but those to
 * VidraResources, which would let garbage collection delete an orphaned or shared object.
 * Undefined when there is nothing to strip.
 */
export function ownerRefsWithoutVidra(
  live: KubeObject | undefined,
): Array<Record<string, unknown>> | undefined {
  const refs = live?.metadata?.ownerReferences ?? [];
  const kept = refs.filter(r => !isVidraResourceOwnerRef(r));
  return kept.length === refs.length ? undefined : kept;
}
