import { daemonSetStatus, deploymentStatus, replicaSetStatus, statefulSetStatus } from "./apps";
import { jobStatus } from "./batch";
import { podStatus, pvcStatus, serviceStatus } from "./core";
import {
  conditionOf,
  current,
  describeCondition,
  failed,
  inProgress,
  type HealthResult,
  type StatusObject,
} from "./types";

export type { HealthResult, HealthStatus, StatusObject } from "./types";

const BY_KIND: Record<string, (obj: StatusObject) => HealthResult> = {
  "apps/Deployment": deploymentStatus,
  "apps/StatefulSet": statefulSetStatus,
  "apps/DaemonSet": daemonSetStatus,
  "apps/ReplicaSet": replicaSetStatus,
  "batch/Job": jobStatus,
  "/Pod": podStatus,
  "/PersistentVolumeClaim": pvcStatus,
  "/Service": serviceStatus,
};

function groupOf(apiVersion: string | undefined): string {
  const i = (apiVersion ?? "").indexOf("/");
  return i < 0 ? "" : apiVersion!.slice(0, i);
}

/**
 * The health of one object, with kstatus semantics: generic rules first (being deleted; a status
 * older than the spec; Stalled / Reconciling conditions), then the kind's own rules for the built-in
 * workloads, then the Ready condition any other kind may have. An object with none of these (a
 * ConfigMap, most CRs) is Current as soon as it exists.
 */
export function computeStatus(obj: StatusObject): HealthResult {
  if (obj.metadata?.deletionTimestamp)
    return { status: "Terminating", reason: "Terminating", message: "being deleted" };
  const generation = obj.metadata?.generation;
  const observed = obj.status?.observedGeneration;
  if (typeof generation === "number" && typeof observed === "number" && observed < generation)
    return inProgress(
      "LatestGenerationNotObserved",
      `its controller has not yet seen generation ${generation} (status is for ${observed})`,
    );
  const stalled = conditionOf(obj, "Stalled");
  if (stalled?.status === "True") return failed("Stalled", describeCondition(stalled) || "stalled");
  const reconciling = conditionOf(obj, "Reconciling");
  if (reconciling?.status === "True")
    return inProgress("Reconciling", describeCondition(reconciling) || "reconciling");
  const byKind = BY_KIND[`${groupOf(obj.apiVersion)}/${obj.kind ?? ""}`];
  if (byKind) return byKind(obj);
  const ready = conditionOf(obj, "Ready");
  if (ready?.status === "True") return current(ready.message || "ready");
  if (ready)
    return inProgress(
      "NotReady",
      `not ready${describeCondition(ready) ? `: ${describeCondition(ready)}` : ""}`,
    );
  return current("exists");
}
