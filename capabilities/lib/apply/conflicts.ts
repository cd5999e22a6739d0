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

/** Whether one of the conflicts is over the owned-by list. */
export function conflictsOnOwnersList(conflicts: readonly FieldConflict[]): boolean {
  return conflicts.some(c => c.field === OWNED_BY_FIELD);
}

/** The conflicts about content, leaving out the owned-by list (which owners rewrite as they come and go). */
export function contentConflicts(conflicts: readonly FieldConflict[]): FieldConflict[] {
  return conflicts.filter(c => c.field !== OWNED_BY_FIELD);
}

type Json = unknown;

function parseValue(text: string): Json {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `name="web",port=80` → {name: "web", port: 80}. */
function parseKeys(inner: string): Record<string, Json> | undefined {
  const out: Record<string, Json> = {};
  const re = /([^=,]+)=("(?:[^"\\]|\\.)*"|[^,]*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(inner))) out[m[1]] = parseValue(m[2]);
  return Object.keys(out).length ? out : undefined;
}

/**
 * Removes the field a conflict names (structured-merge-diff's path text, e.g.
 * `.spec.template.spec.containers[name="web"].image`) from an apply payload, so the manager that
 * owns it keeps it. Field names are not escaped in that text (`.metadata.labels.app.kubernetes.io/name`),
 * so each step takes the longest key of the payload the text continues with. Returns whether the
 * field was found and removed.
 */
export function removeField(payload: Record<string, unknown>, path: string): boolean {
  let node: unknown = payload;
  let rest = path;
  let parent: unknown;
  let last: string | number | undefined;
  while (rest.length) {
    parent = node;
    if (rest.startsWith(".")) {
      if (!node || typeof node !== "object" || Array.isArray(node)) return false;
      const after = rest.slice(1);
      const key = Object.keys(node)
        .filter(k => after === k || after.startsWith(`${k}.`) || after.startsWith(`${k}[`))
        .sort((a, b) => b.length - a.length)[0];
      if (key === undefined) return false;
      last = key;
      node = (node as Record<string, unknown>)[key];
      rest = after.slice(key.length);
    } else if (rest.startsWith("[")) {
      if (!Array.isArray(node)) return false;
      const end = rest.indexOf("]");
      if (end < 0) return false;
      const inner = rest.slice(1, end);
      rest = rest.slice(end + 1);
      let index: number;
      if (/^\d+$/.test(inner)) index = Number(inner);
      else if (inner.startsWith("=")) {
        const value = parseValue(inner.slice(1));
        index = node.findIndex(v => JSON.stringify(v) === JSON.stringify(value));
      } else {
        const keys = parseKeys(inner);
        if (!keys) return false;
        index = node.findIndex(
          v =>
            !!v &&
            typeof v === "object" &&
            Object.entries(keys).every(
              ([k, want]) =>
                JSON.stringify((v as Record<string, unknown>)[k]) === JSON.stringify(want),
            ),
        );
      }
      if (index < 0 || index >= node.length) return false;
      last = index;
      node = node[index];
    } else return false;
  }
  if (last === undefined || parent === undefined) return false;
  if (Array.isArray(parent)) parent.splice(last as number, 1);
  else delete (parent as Record<string, unknown>)[last as string];
  return true;
}
