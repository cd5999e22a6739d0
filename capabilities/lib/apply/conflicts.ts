import type { StatusCause } from "../kube/errors";
import { isOwnerFieldManager, OWNED_BY_ANNOTATION } from "../sync/markers";

export interface FieldConflict {
  manager: string;
  field: string;
}

const MANAGER = /conflict with "([^"]+)"/;

/** The field-manager conflicts of a 409 answer to a server-side apply. */
export function parseConflicts(causes: readonly StatusCause[], message = ""): FieldConflict[] {
  const fromCauses = causes
    .filter(c => c.reason === "FieldManagerConflict" || MANAGER.test(c.message ?? ""))
    .map(c => ({ manager: MANAGER.exec(c.message ?? "")?.[1] ?? "unknown", field: c.field ?? "" }));
  if (fromCauses.length) return fromCauses;
  const m = MANAGER.exec(message);
  return m ? [{ manager: m[1], field: "" }] : [];
}

const OWNED_BY_FIELD = `.metadata.annotations.${OWNED_BY_ANNOTATION}`;

/**
 * Whether a forced apply is safe after these conflicts: when the only disagreement is the owned-by
 * list (every owner rewrites it as owners come and go), or when every other manager is not another
 * VidraResource (a person's `kubectl edit`, a script: that is drift, and repairing it is the job).
 * A conflict with another VidraResource's field manager is never forced: two owners that disagree
 * would otherwise overwrite each other on every pass.
 */
export function forceIsSafe(conflicts: readonly FieldConflict[]): boolean {
  return conflicts.every(c => c.field === OWNED_BY_FIELD || !isOwnerFieldManager(c.manager));
}

/** The other VidraResources (by field manager) a set of conflicts is with. */
export function conflictingOwners(conflicts: readonly FieldConflict[]): string[] {
  return [
    ...new Set(
      conflicts
        .filter(c => c.field !== OWNED_BY_FIELD && isOwnerFieldManager(c.manager))
        .map(c => c.manager),
    ),
  ];
}

/** The conflicts about content, leaving out the owned-by list (which owners rewrite as they come and go). */
export function contentConflicts(conflicts: readonly FieldConflict[]): FieldConflict[] {
  return conflicts.filter(c => c.field !== OWNED_BY_FIELD);
}
