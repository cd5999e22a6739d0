import {
  conditionOf,
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
 * Job: Current once Complete (or suspended), Failed once Failed. Unlike kstatus, which calls a
 * started Job Current, a running Job is InProgress: waiting for a sync means waiting for its Jobs to
 * finish (Helm's --wait-for-jobs, Argo CD's Job health), so a Job that fails is reported.
 */
export function jobStatus(obj: StatusObject): HealthResult {
  const parallelism = num(obj, "spec.parallelism", 1);
  const completions = num(obj, "spec.completions", parallelism);
  const succeeded = num(obj, "status.succeeded", 0);
  const active = num(obj, "status.active", 0);
  const failedPods = num(obj, "status.failed", 0);
  const failure = conditionOf(obj, "Failed");
  if (failure?.status === "True")
    return failed(
      "JobFailed",
      `failed: ${describeCondition(failure) || `${failedPods} pod(s) failed`}`,
    );
  const complete = conditionOf(obj, "Complete");
  if (complete?.status === "True")
    return current(`complete: ${succeeded}/${completions} succeeded`);
  if (conditionOf(obj, "Suspended")?.status === "True") return current("suspended");
  const target = conditionOf(obj, "FailureTarget");
  if (target?.status === "True")
    return inProgress("JobFailing", `failing: ${describeCondition(target)}`);
  if (!str(obj, "status.startTime")) return inProgress("JobNotStarted", "not started");
  return inProgress(
    "JobRunning",
    `running: ${succeeded}/${completions} succeeded, ${active} active, ${failedPods} failed`,
  );
}
