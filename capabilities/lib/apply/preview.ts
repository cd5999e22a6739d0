import { mapSettledLimit } from "../concurrency";
import type { KubeObject } from "../kube/client";
import { sortForApply, sortForDelete } from "../manifest/order";
import { formatRef } from "../manifest/ref";
import type { NormalizedObject, ObjectRef } from "../manifest/types";
import { objectPath, type Engine } from "./engine";
import { withMarks } from "./ownership";
import { planAll, type ApplyOptions, type Owner, type PlanContext } from "./plan";
import { decidePrune } from "./prune-decision";
import type { ObjectProblem } from "./types";

/** What applying one object would do, found by the same reads and dry-run as apply(). */
export type ObjectPreview =
  | {
      ref: ObjectRef;
      subject: string;
      action: "create" | "configure" | "unchanged";
      /** The live object (absent: created). */
      live?: KubeObject;
      /**
       * The dry-run's answer. Absent for objects that cannot be dry-run before the set's first
       * stage is written (inside a Namespace, or of a kind, that the set creates): then `desired`.
       */
      dry?: KubeObject;
      desired: KubeObject;
      /** Why there is no dry-run, or what else happens (take-over, recreate). */
      note?: string;
    }
  | { ref: ObjectRef; subject: string; action: "skip"; message: string }
  | { ref: ObjectRef; subject: string; action: "problem"; problem: ObjectProblem };

/** What pruning one object would do. */
export interface PrunePreview {
  ref: ObjectRef;
  subject: string;
  action: "delete" | "release" | "orphan" | "skip";
  live?: KubeObject;
  message: string;
}

/**
 * The diff verb: apply()'s first pass (reads, the owner's conflict policy, server-side dry-run)
 * without any write. Objects that apply() would plan only after writing Namespaces or CRDs the set
 * creates are reported as created, from the manifest, since the API server cannot dry-run them yet.
 */
export async function previewApply(
  engine: Engine,
  objects: NormalizedObject[],
  owner: Owner,
  opts: ApplyOptions,
  ctx: PlanContext,
): Promise<ObjectPreview[]> {
  const planned = await planAll(engine, objects, owner, opts, ctx);
  const out = planned.map((p, i): ObjectPreview => {
    const obj = objects[i];
    const base = { ref: obj.ref, subject: formatRef(obj.ref) };
    if ("problem" in p) return { ...base, action: "problem", problem: p.problem };
    if ("skipped" in p) return { ...base, action: "skip", message: p.skipped.message ?? "" };
    if ("deferred" in p)
      return {
        ...base,
        action: "create",
        desired: withMarks(obj.object, owner.name),
        note: ctx.kindsInSet.has(`${obj.ref.group}/${obj.ref.kind}`)
          ? "not dry-run: its kind is defined by a CRD this set creates"
          : `not dry-run: its Namespace ${obj.ref.namespace} is created by this set`,
      };
    const plan = p.plan;
    const action = !plan.live ? "create" : plan.unchanged ? "unchanged" : "configure";
    const note = plan.recreate
      ? "an immutable field changes: deleted and created again (infrahub.operators.com/force: Enabled)"
      : plan.adopting
        ? "taken over: it exists and nobody manages it (adoption: Adopt)"
        : plan.takeOver
          ? "fields set by people or other tools are taken over"
          : undefined;
    return {
      ...base,
      action,
      live: plan.live,
      dry: plan.dry,
      desired: plan.payload,
      ...(note ? { note } : {}),
    };
  });
  return sortForApply(out);
}

/** What prune() would do to each object, decided on one read of it, as prune() decides. */
export async function previewPrune(
  engine: Engine,
  refs: ObjectRef[],
  owner: Owner,
  mode: "delete" | "orphan",
): Promise<PrunePreview[]> {
  const results = await mapSettledLimit(refs, engine.concurrency, async ref => {
    const subject = formatRef(ref);
    const info = await engine.mapper.resolve(ref.apiVersion, ref.kind);
    const live = info
      ? await engine.kube.getOptional<KubeObject>(objectPath(info, ref))
      : undefined;
    const d = decidePrune(live, owner.name, mode, false);
    const message =
      d.action === "skip"
        ? d.message
        : d.action === "release"
          ? `released: still owned by ${d.others.join(", ")}`
          : d.action === "orphan"
            ? "left in place without its ownership marks (deletionPolicy: Orphan)"
            : "deleted";
    return { ref, subject, action: d.action, live, message } satisfies PrunePreview;
  });
  const out = results.map((r, i): PrunePreview => {
    if (r.status === "fulfilled") return r.value;
    throw r.reason ?? new Error(`could not read ${formatRef(refs[i])}`);
  });
  return sortForDelete(out);
}
