import type { Condition } from "../../status/conditions";
import { stateOf } from "../../status/state";
import { patchStatusIfChanged } from "../../status/status-diff";
import { destinationFor } from "../apply-target";
import type { Destination } from "../destinations";
import { intervalMs } from "../intervals";
import { involvedObject } from "../markers";
import { vidraResourcePath, type VidraResourceObject } from "../resources";
import type { VidraResourceReconcilerDeps } from "../vidraresource-reconciler";

/**
 * What every pass over a VidraResource (apply, health check, suspension, failure, cleanup) reads and
 * writes the same way: its status (a patch only when something changed, with the DeployState and
 * lastError its conditions imply), the object its Events name, its destination as its own identity,
 * and its re-apply interval. It exists apart so the passes, each in its own module, share one
 * spelling of these instead of reaching back into the reconciler.
 */

/** The reconciler's dependencies a pass uses, with its clock. */
export type PassContext = Pick<
  VidraResourceReconcilerDeps,
  "kube" | "destinations" | "config" | "events"
> & { now: () => Date };

export type StatusPatch = NonNullable<VidraResourceObject["status"]>;

export function writeStatus(
  ctx: PassContext,
  vr: VidraResourceObject,
  patch: Partial<StatusPatch>,
): Promise<void> {
  return patchStatusIfChanged(ctx.kube, vidraResourcePath(vr.metadata.name), vr, patch);
}

/** Conditions with the DeployState and lastError they imply (see stateOf). */
export function withState(
  conditions: Condition[],
): Pick<StatusPatch, "conditions" | "DeployState" | "lastError"> {
  const { state, lastError } = stateOf(conditions);
  return { conditions, DeployState: state, lastError };
}

export function involved(vr: VidraResourceObject) {
  return involvedObject("VidraResource", vr);
}

/** The destination as this resource's identity (see ../apply-target). */
export function destinationOf(
  ctx: PassContext,
  name: string,
  spec: NonNullable<VidraResourceObject["spec"]>,
): Promise<Destination> {
  return destinationFor(ctx.destinations, name, spec, ctx.config().tenancy);
}

/**
 * The Ready message of an applied VidraResource. The full pass and the health-only pass both write
 * it, and must write it alike: a re-check that finds nothing new then writes no status.
 */
export function appliedMessage(dest: Destination, objects: number): string {
  const where = dest.key === "local" ? "this cluster" : dest.server;
  const as = dest.identity.user ? ` as ${dest.identity.description}` : "";
  return `${objects} object(s) applied to ${where}${as}`;
}

export function reapplyInterval(ctx: PassContext, vr: VidraResourceObject): number {
  return intervalMs(vr.spec?.reapplyInterval, ctx.config().requeueResourcesAfterMs);
}
