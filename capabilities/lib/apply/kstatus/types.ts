/**
 * kstatus' vocabulary (sigs.k8s.io/cli-utils/pkg/kstatus): an object is Current when its controller
 * has done what its spec asks, InProgress while it works on it, Failed when it gave up. NotFound and
 * Unknown (could not be read) come from the reader, never from an object's own status.
 */
export type HealthStatus =
  | "Current"
  | "InProgress"
  | "Failed"
  | "Terminating"
  | "NotFound"
  | "Unknown";

export interface HealthResult {
  status: HealthStatus;
  /** A CamelCase reason, as in kstatus ("LessAvailable", "JobFailed"). */
  reason: string;
  /** For people: "0/2 available", "failed: BackoffLimitExceeded". */
  message: string;
}

export const current = (message: string): HealthResult => ({
  status: "Current",
  reason: "Current",
  message,
});
export const inProgress = (reason: string, message: string): HealthResult => ({
  status: "InProgress",
  reason,
  message,
});
export const failed = (reason: string, message: string): HealthResult => ({
  status: "Failed",
  reason,
  message,
});

/** The parts of an object the status functions read; everything is optional, as on the wire. */
export interface StatusObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    generation?: number;
    deletionTimestamp?: string;
    creationTimestamp?: string;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export interface StatusCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

export function conditionsOf(obj: StatusObject): StatusCondition[] {
  const c = obj.status?.conditions;
  return Array.isArray(c) ? (c as StatusCondition[]) : [];
}

export function conditionOf(obj: StatusObject, type: string): StatusCondition | undefined {
  return conditionsOf(obj).find(c => c.type === type);
}

/** A numeric field at a dotted path, or `fallback` when absent or not a number. */
export function num(obj: StatusObject, path: string, fallback: number): number {
  let v: unknown = obj;
  for (const part of path.split(".")) {
    if (v === null || typeof v !== "object") return fallback;
    v = (v as Record<string, unknown>)[part];
  }
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
}

export function str(obj: StatusObject, path: string): string | undefined {
  let v: unknown = obj;
  for (const part of path.split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return typeof v === "string" ? v : undefined;
}

/** "reason: message", or whichever of the two there is. */
export function describeCondition(c: StatusCondition): string {
  return [c.reason, c.message].filter(Boolean).join(": ");
}
