import {
  conditionOf,
  conditionsOf,
  current,
  describeCondition,
  failed,
  inProgress,
  num,
  str,
  type HealthResult,
  type StatusObject,
} from "./types";

/**
 * Deployment: Failed once the controller reports its progress deadline exceeded; InProgress until
 * every replica is updated, available and ready and no old replica is left; then Current.
 */
export function deploymentStatus(obj: StatusObject): HealthResult {
  const progressing = conditionOf(obj, "Progressing");
  if (progressing?.reason === "ProgressDeadlineExceeded")
    return failed(
      "ProgressDeadlineExceeded",
      `progress deadline exceeded: ${progressing.message ?? ""}`.trim(),
    );
  const spec = num(obj, "spec.replicas", 1);
  const replicas = num(obj, "status.replicas", 0);
  const updated = num(obj, "status.updatedReplicas", 0);
  const available = num(obj, "status.availableReplicas", 0);
  const ready = num(obj, "status.readyReplicas", 0);
  if (spec > updated) return inProgress("LessUpdated", `${updated}/${spec} updated`);
  if (replicas > spec)
    return inProgress("ExtraPods", `${replicas - spec} old replica(s) pending termination`);
  if (spec > available || updated > available)
    return inProgress("LessAvailable", `${available}/${spec} available`);
  if (spec > ready) return inProgress("LessReady", `${ready}/${spec} ready`);
  // Without a progress deadline the controller sets no Progressing condition; with one, the rollout
  // is done only when it says the new ReplicaSet is available.
  const deadline = (obj.spec as { progressDeadlineSeconds?: unknown } | undefined)
    ?.progressDeadlineSeconds;
  if (deadline !== undefined && progressing && progressing.reason !== "NewReplicaSetAvailable")
    return inProgress(
      "ReplicaSetNotAvailable",
      describeCondition(progressing) || "rollout in progress",
    );
  const avail = conditionOf(obj, "Available");
  if (avail && avail.status !== "True")
    return inProgress("DeploymentNotAvailable", describeCondition(avail) || "not available");
  return current(`${available}/${spec} available`);
}

/** StatefulSet: every replica created, ready and on the update revision (OnDelete: never waited for). */
export function statefulSetStatus(obj: StatusObject): HealthResult {
  if (str(obj, "spec.updateStrategy.type") === "OnDelete")
    return current("updates are applied on delete (OnDelete); not waited for");
  const spec = num(obj, "spec.replicas", 1);
  const replicas = num(obj, "status.replicas", 0);
  const ready = num(obj, "status.readyReplicas", 0);
  const currentReplicas = num(obj, "status.currentReplicas", 0);
  const updated = num(obj, "status.updatedReplicas", 0);
  const partition = num(obj, "spec.updateStrategy.rollingUpdate.partition", -1);
  if (spec > replicas) return inProgress("LessReplicas", `${replicas}/${spec} created`);
  if (spec > ready) return inProgress("LessReady", `${ready}/${spec} ready`);
  if (replicas > spec)
    return inProgress("ExtraPods", `${replicas - spec} replica(s) pending termination`);
  if (partition >= 0) {
    const wanted = Math.max(0, spec - partition);
    return updated < wanted
      ? inProgress("PartitionRollout", `${updated}/${wanted} updated (partition ${partition})`)
      : current(`${ready}/${spec} ready; partitioned rollout complete`);
  }
  if (spec > currentReplicas)
    return inProgress("LessCurrent", `${currentReplicas}/${spec} current`);
  const currentRevision = str(obj, "status.currentRevision");
  const updateRevision = str(obj, "status.updateRevision");
  if (currentRevision !== updateRevision)
    return inProgress("RevisionMismatch", `rolling out revision ${updateRevision ?? "?"}`);
  return current(`${ready}/${spec} ready`);
}

/** DaemonSet: a ready, updated, available pod on every node it should run on. */
export function daemonSetStatus(obj: StatusObject): HealthResult {
  if (num(obj, "status.observedGeneration", -1) < 0)
    return inProgress("NoObservedGeneration", "not yet observed by its controller");
  const desired = num(obj, "status.desiredNumberScheduled", -1);
  if (desired < 0) return inProgress("NoDesiredNumber", "not yet observed by its controller");
  const scheduled = num(obj, "status.currentNumberScheduled", 0);
  const updated = num(obj, "status.updatedNumberScheduled", 0);
  const available = num(obj, "status.numberAvailable", 0);
  const ready = num(obj, "status.numberReady", 0);
  if (desired > scheduled) return inProgress("LessCurrent", `${scheduled}/${desired} scheduled`);
  if (desired > updated) return inProgress("LessUpdated", `${updated}/${desired} updated`);
  if (desired > available) return inProgress("LessAvailable", `${available}/${desired} available`);
  if (desired > ready) return inProgress("LessReady", `${ready}/${desired} ready`);
  return current(`${ready}/${desired} ready`);
}

/** ReplicaSet: its replicas labelled, available and ready; a ReplicaFailure is reported as such. */
export function replicaSetStatus(obj: StatusObject): HealthResult {
  const failure = conditionsOf(obj).find(c => c.type === "ReplicaFailure" && c.status === "True");
  if (failure) return inProgress("ReplicaFailure", describeCondition(failure) || "replica failure");
  const spec = num(obj, "spec.replicas", 1);
  const replicas = num(obj, "status.replicas", 0);
  const labelled = num(obj, "status.fullyLabeledReplicas", 0);
  const available = num(obj, "status.availableReplicas", 0);
  const ready = num(obj, "status.readyReplicas", 0);
  if (spec > labelled) return inProgress("LessLabelled", `${labelled}/${spec} labelled`);
  if (spec > available) return inProgress("LessAvailable", `${available}/${spec} available`);
  if (spec > ready) return inProgress("LessReady", `${ready}/${spec} ready`);
  if (replicas > spec)
    return inProgress("ExtraPods", `${replicas - spec} replica(s) pending termination`);
  return current(`${available}/${spec} available`);
}
