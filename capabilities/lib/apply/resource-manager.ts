import type { KubeClient, KubeObject } from "../kube/client";
import type { ResourceMapper } from "../kube/discovery";
import { mapSettledLimit } from "../concurrency";
import { isFoundation } from "../manifest/order";
import type { NormalizedObject, ObjectRef } from "../manifest/types";
import type { Engine } from "./engine";
import { unknownKind } from "./engine";
import { OwnerScope } from "./owner-scope";
import { planAll, type ApplyOptions, type Owner, type Plan, type PlanContext } from "./plan";
import { pruneAll } from "./prune";
import type { PruneMode } from "./prune-decision";
import { assessHealth, type ObjectHealth } from "./health";
import { previewApply, previewPrune, type ObjectPreview, type PrunePreview } from "./preview";
import { ApplyBlockedError, type ChangeEntry } from "./types";
import { waitForCrds } from "./wait";
import { writePlans } from "./write";

export type { ApplyOptions, Owner } from "./plan";
export { PRUNE_ANNOTATION } from "./prune-decision";

const CRD_GROUP = "apiextensions.k8s.io";

/**
 * Server-side apply for objects of any kind, on one cluster, for one owner at a time. The verbs
 * live in their own modules, as in Flux's ssa package: plan (read and dry-run), write, wait (for
 * new CRDs), prune (delete, release, orphan), with the ownership marks and the prune decision as
 * pure functions.
 *
 * apply(): every object is dry-run first (with the owner's field manager); only when the whole set
 * passes is anything written, and then only the objects whose dry-run result differs from the live
 * object, so re-applying an unchanged manifest writes nothing. CRDs and Namespaces go first (objects
 * inside a new Namespace or of a new kind can only be dry-run once those exist).
 *
 * prune(): deletes objects this owner alone owns; an object others still own is released instead
 * (this owner's mark and fields are removed, the object stays).
 */
export class ResourceManager {
  private readonly engine: Engine;

  constructor(
    kube: KubeClient,
    mapper: ResourceMapper,
    private readonly opts: { concurrency?: number; crdEstablishTimeoutMs?: number } = {},
  ) {
    this.engine = { kube, mapper, concurrency: opts.concurrency ?? 16 };
  }

  /** The fluent API for one owner: `resources.as(owner).adopting("Adopt").apply(objects)`. */
  as(owner: Owner): OwnerScope {
    return new OwnerScope(this, owner);
  }

  async apply(
    objects: NormalizedObject[],
    owner: Owner,
    opts: ApplyOptions,
  ): Promise<ChangeEntry[]> {
    const newKinds = newKindsIn(objects);
    // Objects inside a Namespace this set creates cannot be read or dry-run before it exists.
    const first = await planAll(this.engine, objects, owner, opts, {
      ...(await this.namespacesOf(objects)),
      kindsInSet: newKinds,
    });
    const problems = first.flatMap(p => ("problem" in p ? [p.problem] : []));
    if (problems.length) throw new ApplyBlockedError(problems);

    const plans = first.flatMap(p => ("plan" in p ? [p.plan] : []));
    const deferred = first.flatMap(p => ("deferred" in p ? [p.deferred] : []));
    const entries: ChangeEntry[] = first.flatMap(p => ("skipped" in p ? [p.skipped] : []));
    if (deferred.length || plans.some(p => !p.unchanged))
      await opts.beforeWrite?.(objects.map(o => o.ref));
    if (deferred.length === 0) return [...entries, ...(await writePlans(this.engine, plans))];

    // Objects in a Namespace, or of a kind, that this set creates: write the foundation, then plan them.
    const foundation = plans.filter(p => isFoundation(p.obj.ref));
    entries.push(...(await writePlans(this.engine, foundation)));
    await waitForCrds(
      this.engine,
      foundation.filter((p: Plan) => p.obj.ref.kind === "CustomResourceDefinition"),
      this.opts.crdEstablishTimeoutMs ?? 30_000,
    );
    const second = await planAll(this.engine, deferred, owner, opts, {
      missingNamespaces: new Set(),
      kindsInSet: new Set(),
    });
    const late = second.flatMap(p =>
      "problem" in p ? [p.problem] : "deferred" in p ? [unknownKind(p.deferred)] : [],
    );
    if (late.length) throw new ApplyBlockedError(late, entries);
    entries.push(...second.flatMap(p => ("skipped" in p ? [p.skipped] : [])));
    const rest = [
      ...plans.filter(p => !isFoundation(p.obj.ref)),
      ...second.flatMap(p => ("plan" in p ? [p.plan] : [])),
    ];
    entries.push(...(await writePlans(this.engine, rest)));
    return entries;
  }

  /** What apply() would do to each object, without writing anything (see ./preview). */
  async preview(
    objects: NormalizedObject[],
    owner: Owner,
    opts: ApplyOptions,
  ): Promise<ObjectPreview[]> {
    return previewApply(this.engine, objects, owner, opts, {
      ...(await this.namespacesOf(objects)),
      kindsInSet: newKindsIn(objects),
    });
  }

  /** What prune() would do to each object, without writing anything. */
  previewPrune(refs: ObjectRef[], owner: Owner, mode: PruneMode): Promise<PrunePreview[]> {
    return previewPrune(this.engine, refs, owner, mode);
  }

  /** The set's Namespaces, read once: which are missing, and what was read (for the plan). */
  private async namespacesOf(
    objects: NormalizedObject[],
  ): Promise<Pick<PlanContext, "missingNamespaces" | "namespacesRead">> {
    const created = objects
      .filter(o => o.ref.group === "" && o.ref.kind === "Namespace")
      .map(o => o.ref.name);
    const read = new Map<string, KubeObject | null>();
    await mapSettledLimit(created, this.engine.concurrency, async ns => {
      const path = `/api/v1/namespaces/${encodeURIComponent(ns)}`;
      read.set(ns, (await this.engine.kube.getOptional<KubeObject>(path)) ?? null);
    });
    const missing = new Set([...read].filter(([, o]) => !o).map(([ns]) => ns));
    return { missingNamespaces: missing, namespacesRead: read };
  }

  /**
   * Removes this owner from objects it no longer lists: deleted when it was the only owner, released
   * when others still own it. `mode: "orphan"` strips the ownership marks instead of deleting.
   * Objects not marked managed-by vidra, or annotated prune: disabled, are left alone.
   */
  prune(refs: ObjectRef[], owner: Owner, mode: PruneMode): Promise<ChangeEntry[]> {
    return pruneAll(this.engine, refs, owner, mode);
  }

  /** The kstatus health of each object (reads only; see ./health). */
  health(refs: ObjectRef[]): Promise<ObjectHealth[]> {
    return assessHealth(this.engine, refs);
  }
}

/** `group/Kind` of the CRDs a set creates. */
function newKindsIn(objects: NormalizedObject[]): Set<string> {
  return new Set(
    objects
      .filter(o => o.ref.group === CRD_GROUP && o.ref.kind === "CustomResourceDefinition")
      .map(o => crdKindKey(o.object)),
  );
}

function crdKindKey(crd: NormalizedObject["object"]): string {
  const spec = (crd.spec ?? {}) as { group?: string; names?: { kind?: string } };
  return `${spec.group ?? ""}/${spec.names?.kind ?? ""}`;
}
