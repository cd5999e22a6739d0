import type { NormalizedObject, ObjectRef } from "../manifest/types";
import type { ApplyOptions, Owner, ResourceManager } from "./resource-manager";
import type { ObjectPreview, PrunePreview } from "./preview";
import type { ChangeEntry } from "./types";

/**
 * The fluent face of the ResourceManager, for one owner:
 *
 *   await destination.resources.as(owner).adopting("Refuse").knowing(inventory).apply(objects);
 *   await destination.resources.as(owner).prune(removed);
 *
 * Each step returns a new scope (nothing is shared between calls), so a scope can be kept and
 * narrowed without surprising another user of it.
 */
export class OwnerScope {
  constructor(
    private readonly manager: ResourceManager,
    private readonly owner: Owner,
    private readonly options: ApplyOptions = { adoption: "Refuse" },
  ) {}

  /** What to do with objects that exist and nobody manages (default Refuse). */
  adopting(adoption: ApplyOptions["adoption"]): OwnerScope {
    return new OwnerScope(this.manager, this.owner, { ...this.options, adoption });
  }

  /** The owner's current inventory (refKeys): its objects stay its own even with their marks stripped. */
  knowing(inventory: ReadonlySet<string>): OwnerScope {
    return new OwnerScope(this.manager, this.owner, { ...this.options, inventory });
  }

  /** Namespaces where existing objects are never adopted (see ApplyOptions.protectedNamespaces). */
  protecting(protectedNamespaces: ReadonlySet<string>): OwnerScope {
    return new OwnerScope(this.manager, this.owner, { ...this.options, protectedNamespaces });
  }

  /** Called with every object of the set before the first write (see ApplyOptions.beforeWrite). */
  recordingIntent(beforeWrite: ApplyOptions["beforeWrite"]): OwnerScope {
    return new OwnerScope(this.manager, this.owner, { ...this.options, beforeWrite });
  }

  /** Dry-run every object, then write those that change; all or nothing on validation. */
  apply(objects: NormalizedObject[]): Promise<ChangeEntry[]> {
    return this.manager.apply(objects, this.owner, this.options);
  }

  /** What apply() would do, by the same reads and dry-run, writing nothing. */
  preview(objects: NormalizedObject[]): Promise<ObjectPreview[]> {
    return this.manager.preview(objects, this.owner, this.options);
  }

  /** What prune() (or orphan(), with mode "orphan") would do, writing nothing. */
  previewPrune(refs: ObjectRef[], mode: "delete" | "orphan" = "delete"): Promise<PrunePreview[]> {
    return this.manager.previewPrune(refs, this.owner, mode);
  }

  /** Delete (sole owner) or release (shared) objects the owner no longer lists. */
  prune(refs: ObjectRef[]): Promise<ChangeEntry[]> {
    return this.manager.prune(refs, this.owner, "delete");
  }

  /** Leave objects in place, stripped of this owner's marks (released when shared). */
  orphan(refs: ObjectRef[]): Promise<ChangeEntry[]> {
    return this.manager.prune(refs, this.owner, "orphan");
  }
}
