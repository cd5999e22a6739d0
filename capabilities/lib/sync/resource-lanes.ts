/**
 * The VidraResource queue's lanes. A VidraResource whose spec has not been applied yet (new, or
 * changed since its last apply: `metadata.generation` ahead of `status.observedGeneration`) runs
 * in a lane of its own; periodic re-applies, drift repairs, health checks and deletions share the
 * other. Without it the queue was first come first served: with 5,000 VidraResources re-applied
 * every 10 minutes the queue always held a backlog of re-applies, and an artifact change (or a new
 * sync's first apply) waited behind all of them before reaching the cluster.
 */
import type { VidraResourceObject } from "./resources";

export const SPEC_CHANGED_LANE = "spec-changed";
export const MAINTENANCE_LANE = "maintenance";

/** The `partitionOf` of the VidraResource queue, from the watch-fed VidraResource cache. */
export function resourceLaneOf(
  cached: (name: string) => VidraResourceObject | undefined,
): (name: string) => string {
  return name => {
    const vr = cached(name);
    const generation = vr?.metadata.generation;
    return vr && !vr.metadata.deletionTimestamp && generation !== vr.status?.observedGeneration
      ? SPEC_CHANGED_LANE
      : MAINTENANCE_LANE;
  };
}
