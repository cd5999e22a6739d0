import { getCondition, outcomeConditions, type Condition } from "../status/conditions";
import type { InfrahubSyncObject, VidraResourceObject } from "./resources";

/**
 * A sync's conditions from its last fetch and the VidraResources it feeds: rejected artifacts or a
 * failed VidraResource make it not Ready; VidraResources still applying make it Reconciling.
 */
export function syncReadiness(
  sync: InfrahubSyncObject,
  resources: VidraResourceObject[],
  fetchProblems: string[],
  now: Date,
): Condition[] {
  const gen = sync.metadata.generation;
  const current = sync.status?.conditions;
  if (fetchProblems.length) {
    return outcomeConditions(
      current,
      {
        kind: "failed",
        reason: "ArtifactRejected",
        message: fetchProblems.join("; "),
        stalled: false,
      },
      gen,
      now,
    );
  }
  const ready = (vr: VidraResourceObject) => getCondition(vr.status?.conditions, "Ready");
  const failed = resources.filter(vr => ready(vr)?.status === "False");
  if (failed.length) {
    const first = failed[0];
    const message = `${failed.length} of ${resources.length} VidraResource(s) failed; ${first.metadata.name}: ${ready(first)?.message ?? ""}`;
    return outcomeConditions(
      current,
      { kind: "failed", reason: "VidraResourceFailed", message, stalled: false },
      gen,
      now,
    );
  }
  const pending = resources.filter(
    vr => ready(vr)?.status !== "True" || vr.status?.observedGeneration !== vr.metadata.generation,
  );
  if (pending.length) {
    const message = `waiting for ${pending.length} of ${resources.length} VidraResource(s) to apply`;
    return outcomeConditions(
      current,
      { kind: "progressing", reason: "Applying", message },
      gen,
      now,
    );
  }
  const message = `${resources.length} artifact(s) from branch ${sync.spec?.source.targetBranch} applied`;
  return outcomeConditions(current, { kind: "ready", reason: "Synced", message }, gen, now);
}
