import type { ObjectMeta } from "../kube/client";
import {
  isOwnerFieldManager,
  LEGACY_MARKS_FIELD_MANAGER,
  OPERATOR_FIELD_MANAGER,
} from "../sync/markers";

export type ManagedFieldsEntry = NonNullable<ObjectMeta["managedFields"]>[number] & {
  time?: string;
  fieldsType?: string;
};

/**
 * Vidra's field manager: it wrote with controller-runtime and no field manager, so the API server
 * named it after its binary, `manager` (kubebuilder's default). Only ever matched on objects that
 * carry Vidra's marks or that are being adopted.
 */
export const VIDRA_FIELD_MANAGERS: ReadonlySet<string> = new Set(["manager"]);

/**
 * A person at a terminal or a tool that wrote whole objects before server-side apply: kubectl in all
 * its forms (`kubectl` is its server-side apply, `kubectl-client-side-apply`, `kubectl-edit`,
 * `kubectl-scale`, …), `before-first-apply` (fields that predate managed fields) and Vidra. What they
 * set on a managed object is drift: the operator overrides it.
 */
export function isPersonOrLegacyTool(manager: string | undefined): boolean {
  if (!manager) return false;
  return (
    manager === "kubectl" ||
    manager.startsWith("kubectl-") ||
    manager === "before-first-apply" ||
    VIDRA_FIELD_MANAGERS.has(manager)
  );
}

/**
 * The operator itself: a VidraResource's manager, the owners-list writer, the legacy-marks writer.
 */
export function isOperatorManager(manager: string | undefined): boolean {
  return (
    isOwnerFieldManager(manager) ||
    manager === OPERATOR_FIELD_MANAGER ||
    manager === LEGACY_MARKS_FIELD_MANAGER
  );
}

/** Everything else: controllers (an HPA scaling, a mutating webhook's owner, another operator). */
export function isController(manager: string | undefined): boolean {
  return !isPersonOrLegacyTool(manager) && !isOperatorManager(manager);
}

/**
 * Tools that write whole objects (an edit, a client-side or server-side apply by a person, a
 * replace, Vidra's updates): fields they own that the manifest lacks are theirs to lose, so their
 * entries are taken over on every apply. Targeted commands (scale, label, annotate, rollout restart)
 * keep the fields the manifest does not set.
 */
const WHOLE_OBJECT_WRITERS = new Set([
  "kubectl",
  "kubectl-client-side-apply",
  "kubectl-edit",
  "kubectl-replace",
  "before-first-apply",
  ...VIDRA_FIELD_MANAGERS,
]);

/**
 * The managedFields entries to take over: on adoption, every person's and legacy tool's; on a
 * managed object, those of whole-object writers. Subresource entries (status, scale) are never
 * touched, nor the owner's own.
 */
export function entriesToTakeOver(
  entries: readonly ManagedFieldsEntry[],
  ownManager: string,
  adopting: boolean,
): ManagedFieldsEntry[] {
  return entries.filter(
    e =>
      !e.subresource &&
      e.manager !== ownManager &&
      (adopting ? isPersonOrLegacyTool(e.manager) : WHOLE_OBJECT_WRITERS.has(e.manager ?? "")),
  );
}

type Trie = { [k: string]: Trie };

/** The union of two managed-fields tries (fieldsV1): each key is a field, a list item or `.`. */
export function unionFields(a: unknown, b: unknown): Trie {
  const out: Trie = { ...((a ?? {}) as Trie) };
  for (const [k, v] of Object.entries((b ?? {}) as Trie)) out[k] = unionFields(out[k], v);
  return out;
}

/**
 * Managed fields with the given entries folded into the owner's Apply entry (created from the first
 * of them when the owner has none yet): the owner then owns what they set, and its next apply
 * removes what its manifest lacks, as Flux does when it takes objects over from kubectl. Fields
 * owned by other managers stay theirs. Undefined when there is nothing to take over.
 */
export function takeOverManagedFields(
  entries: readonly ManagedFieldsEntry[],
  ownManager: string,
  adopting: boolean,
): ManagedFieldsEntry[] | undefined {
  const taken = new Set(entriesToTakeOver(entries, ownManager, adopting));
  if (taken.size === 0) return undefined;
  const isOwn = (e: ManagedFieldsEntry) =>
    e.manager === ownManager && e.operation === "Apply" && !e.subresource;
  let own = entries.find(isOwn);
  for (const e of taken) {
    own = own
      ? { ...own, fieldsV1: unionFields(own.fieldsV1, e.fieldsV1) }
      : { ...e, manager: ownManager, operation: "Apply" };
  }
  return [...entries.filter(e => !taken.has(e) && !isOwn(e)), own!];
}

/**
 * The managers that wrote between two versions of an object: those with a new entry or a new time.
 * A manager that only lost fields to another's update is not among them (its time stays).
 */
export function changedManagers(
  before: readonly ManagedFieldsEntry[],
  after: readonly ManagedFieldsEntry[],
): string[] {
  const key = (e: ManagedFieldsEntry) => `${e.manager}|${e.operation}|${e.subresource ?? ""}`;
  const old = new Map(before.map(e => [key(e), e.time ?? ""]));
  return [
    ...new Set(after.filter(e => old.get(key(e)) !== (e.time ?? "")).map(e => e.manager ?? "")),
  ];
}

/**
 * Whether a change to a managed object is drift to repair: yes when a person, a legacy tool or an
 * owner's manager wrote it, or when it cannot be told who did (a write that only removed fields
 * leaves no entry of its own); no when only controllers (an HPA scaling, a controller adding a
 * default) and the operator's own bookkeeping wrote.
 */
export function isDriftBy(changed: readonly string[]): boolean {
  if (changed.length === 0) return true;
  return changed.some(
    m =>
      isPersonOrLegacyTool(m) ||
      isOwnerFieldManager(m) ||
      (!isController(m) && !isOperatorManager(m)),
  );
}
