/**
 * Why pods are not ready, in a word or two a person recognises ("ImagePullBackOff", "Error (exit
 * code 3)", "Unschedulable: 0/3 nodes are available"): what a workload's own status cannot say.
 */
interface PodLike {
  metadata?: { deletionTimestamp?: string };
  status?: {
    phase?: string;
    reason?: string;
    conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }>;
    initContainerStatuses?: ContainerStatus[];
    containerStatuses?: ContainerStatus[];
  };
}

interface ContainerStatus {
  ready?: boolean;
  state?: {
    waiting?: { reason?: string };
    terminated?: { reason?: string; exitCode?: number };
  };
}

/** Waiting reasons every pod passes through: worth telling only when nothing worse is going on. */
const ROUTINE = new Set(["ContainerCreating", "PodInitializing"]);

/** The most telling problem of one pod, or undefined when it has none (or is on its way out). */
export function podProblem(pod: PodLike): string | undefined {
  if (pod.metadata?.deletionTimestamp) return undefined;
  const status = pod.status ?? {};
  const scheduled = status.conditions?.find(c => c.type === "PodScheduled");
  if (scheduled?.status === "False")
    return [scheduled.reason ?? "Unschedulable", scheduled.message].filter(Boolean).join(": ");
  const containers = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])];
  let routine: string | undefined;
  for (const c of containers) {
    const waiting = c.state?.waiting?.reason;
    if (waiting && !ROUTINE.has(waiting)) return waiting;
    if (waiting) routine ??= waiting;
    const t = c.state?.terminated;
    if (t && t.exitCode !== undefined && t.exitCode !== 0)
      return `${t.reason ?? "Terminated"} (exit code ${t.exitCode})`;
  }
  if (status.phase === "Failed") return status.reason ?? "Failed";
  return routine;
}

/** The most common problem among `pods`, with how many share it when not all do. */
export function summarizePodProblems(pods: PodLike[]): string | undefined {
  const counts = new Map<string, number>();
  for (const p of pods) {
    const problem = podProblem(p);
    if (problem) counts.set(problem, (counts.get(problem) ?? 0) + 1);
  }
  if (counts.size === 0) return undefined;
  const [top, n] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
  const others = counts.size - 1;
  const share = n < pods.length ? ` (${n} of ${pods.length} pods)` : "";
  return `${top}${share}${others ? `; ${others} other problem(s)` : ""}`;
}
