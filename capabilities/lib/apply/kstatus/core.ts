import {
  conditionOf,
  current,
  describeCondition,
  failed,
  inProgress,
  str,
  type HealthResult,
  type StatusObject,
} from "./types";

interface ContainerStatus {
  name?: string;
  state?: {
    waiting?: { reason?: string; message?: string };
    terminated?: { reason?: string; exitCode?: number; message?: string };
  };
}

function containerStatuses(obj: StatusObject): ContainerStatus[] {
  const s = obj.status?.containerStatuses;
  return Array.isArray(s) ? (s as ContainerStatus[]) : [];
}

/**
 * Pod: Current when Running and Ready, or Succeeded; Failed when it failed or a container is in
 * CrashLoopBackOff. (kstatus calls a Failed pod Current, as "completed"; a pod in a manifest that
 * fails is not healthy.) An unschedulable pod stays InProgress: capacity may come.
 */
export function podStatus(obj: StatusObject): HealthResult {
  const phase = str(obj, "status.phase") ?? "";
  if (phase === "Succeeded") return current("succeeded");
  if (phase === "Failed") {
    const why = str(obj, "status.reason") ?? terminatedReason(obj);
    return failed("PodFailed", `failed${why ? `: ${why}` : ""}`);
  }
  if (phase === "Running") {
    if (conditionOf(obj, "Ready")?.status === "True") return current("running and ready");
    const looping = containerStatuses(obj)
      .filter(c => c.state?.waiting?.reason === "CrashLoopBackOff")
      .map(c => c.name ?? "?");
    if (looping.length)
      return failed("ContainerCrashLooping", `CrashLoopBackOff: ${looping.join(", ")}`);
    return inProgress("PodRunningNotReady", "running, not ready");
  }
  if (phase === "Pending") {
    const scheduled = conditionOf(obj, "PodScheduled");
    if (scheduled?.status === "False")
      return inProgress("PodNotScheduled", describeCondition(scheduled) || "not scheduled");
    const waiting = containerStatuses(obj).find(c => c.state?.waiting?.reason)?.state?.waiting;
    return inProgress("PodPending", waiting?.reason ? `pending: ${waiting.reason}` : "pending");
  }
  return inProgress("PodNotObserved", "not yet observed by a kubelet");
}

function terminatedReason(obj: StatusObject): string | undefined {
  for (const c of containerStatuses(obj)) {
    const t = c.state?.terminated;
    if (t && t.exitCode !== 0)
      return `${t.reason ?? "terminated"} (exit code ${t.exitCode ?? "?"})`;
  }
  return undefined;
}

/** PersistentVolumeClaim: Bound. */
export function pvcStatus(obj: StatusObject): HealthResult {
  const phase = str(obj, "status.phase");
  if (phase === "Bound") return current("bound");
  if (phase === "Lost") return failed("ClaimLost", "lost: its volume is gone");
  return inProgress("NotBound", `not bound (${phase ?? "no phase yet"})`);
}

/**
 * Service: a LoadBalancer needs an address from its load-balancer controller (kstatus only checks
 * the cluster IP, which the API server assigns at once); other types are Current.
 */
export function serviceStatus(obj: StatusObject): HealthResult {
  if (str(obj, "spec.type") !== "LoadBalancer") return current("service");
  const ingress = (obj.status?.loadBalancer as { ingress?: unknown[] } | undefined)?.ingress;
  if (Array.isArray(ingress) && ingress.length > 0) return current("load balancer ready");
  return inProgress("NoLoadBalancerAddress", "waiting for a load balancer address");
}
