import { getCondition, outcomeConditions, type Condition } from "../status/conditions";
import type { InfrahubSyncObject, VidraResourceObject } from "./resources";

const readyOf = (vr: VidraResourceObject) => getCondition(vr.status?.conditions, "Ready");

/**
 * A sync's conditions from its last fetch and the VidraResources it feeds: rejected artifacts or a
 * failed VidraResource make it not Ready; VidraResources still applying, or (with spec.wait) whose
 * objects still roll out, make it Reconciling; VidraResources suspended by hand keep it from Ready.
 * With spec.wait, Ready means every artifact is applied and healthy.
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
  const total = resources.length;
  const suspended = resources.filter(vr => vr.spec?.suspend);
  const active = resources.filter(vr => !vr.spec?.suspend);
  const failed = active.filter(vr => readyOf(vr)?.status === "False");
  if (failed.length) {
    const first = failed[0];
    // Objects that never became healthy: the same Stalled verdict as their VidraResources.
    const unhealthy = failed.every(vr => readyOf(vr)?.reason === "HealthCheckFailed");
    const message = `${failed.length} of ${total} VidraResource(s) ${unhealthy ? "unhealthy" : "failed"}; ${first.metadata.name}: ${readyOf(first)?.message ?? ""}`;
    return outcomeConditions(
      current,
      {
        kind: "failed",
        reason: unhealthy ? "HealthCheckFailed" : "VidraResourceFailed",
        message,
        stalled:
          unhealthy &&
          failed.every(vr => getCondition(vr.status?.conditions, "Stalled")?.status === "True"),
      },
      gen,
      now,
    );
  }
  const pending = active.filter(
    vr =>
      readyOf(vr)?.status !== "True" || vr.status?.observedGeneration !== vr.metadata.generation,
  );
  if (pending.length) {
    const rollingOut = pending.filter(vr => vr.status?.health?.status === "Progressing");
    const message =
      rollingOut.length === pending.length
        ? `waiting for ${pending.length} of ${total} VidraResource(s) to become healthy; ${rollingOut[0].metadata.name}: ${readyOf(rollingOut[0])?.message ?? ""}`
        : `waiting for ${pending.length} of ${total} VidraResource(s) to apply`;
    return outcomeConditions(
      current,
      {
        kind: "progressing",
        reason: rollingOut.length === pending.length ? "Progressing" : "Applying",
        message,
      },
      gen,
      now,
    );
  }
  if (suspended.length) {
    const names = suspended.map(vr => vr.metadata.name);
    const message = `${suspended.length} of ${total} VidraResource(s) suspended (${names.slice(0, 5).join(", ")}${names.length > 5 ? ", …" : ""}); set spec.suspend: false on them to resume`;
    return outcomeConditions(
      current,
      { kind: "failed", reason: "VidraResourceSuspended", message, stalled: false },
      gen,
      now,
    );
  }
  const message = `${total} artifact(s) from branch ${sync.spec?.source.targetBranch} applied${sync.spec?.wait ? " and healthy" : ""}`;
  return outcomeConditions(current, { kind: "ready", reason: "Synced", message }, gen, now);
}
