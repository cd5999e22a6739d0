import { readAudit, receivedAt, type AuditEvent } from "../../tests/support/audit";

const READ_VERBS = ["get", "list"];
const WRITE_VERBS = ["create", "update", "patch", "delete", "deletecollection"];

/**
 * The API server's audit policy of the scale benchmarks: the metadata of every read and write,
 * nothing about watches (a watch is one long request whose events the server pushes; the
 * benchmarks count requests the operator chooses to send).
 */
export const REQUESTS_AUDIT_POLICY = {
  apiVersion: "audit.k8s.io/v1",
  kind: "Policy",
  omitStages: ["RequestReceived"],
  rules: [
    { level: "None", verbs: ["watch"] },
    { level: "Metadata", verbs: [...READ_VERBS, ...WRITE_VERBS] },
    { level: "None" },
  ],
};

/**
 * Clients on the bench's machine that are not the operator: the control plane's own components
 * and kubectl. The operator's process sends with two User-Agents (its own client's
 * `vidra-pepr/<identity>` and the one of Pepr's watches); anything not listed here (nor a health
 * probe) counts as the operator's, so a request from a client nobody thought of is counted rather
 * than lost. The benchmarks send nothing to the API server while they count.
 */
const NOT_OPERATOR = /^(kube-apiserver|kube-controller-manager|kube-scheduler|kubectl|kwok)/;

/** Health probes of the API server: no resource. */
const PROBE = /^\/(readyz|livez|healthz)\b/;
const isProbe = (e: AuditEvent) => e.objectRef === undefined && PROBE.test(e.requestURI);

/**
 * The operator's own /readyz probe (it watches for API-server outages) is counted apart, as a
 * probe. Probes without a User-Agent are left out: the harness's have none, and so had the
 * operator's until its transport sent one (the baseline of 2026-12-05 has no probe count).
 */
const isOperator = (e: AuditEvent) => (e.userAgent ? !NOT_OPERATOR.test(e.userAgent) : !isProbe(e));

export interface ApiRequestCounts {
  reads: number;
  writes: number;
  /**
   * Leader election's reads and renewals of its Lease: a GET and an update every retry period by
   * design (client-go's loop), shown apart.
   */
  leaseRequests: number;
  /** GET /readyz and the like: the operator's probes for API-server outages, no object read. */
  healthProbes: number;
  /** Requests per `verb resource User-Agent product`, for the record. */
  breakdown: Record<string, number>;
}

function product(userAgent: string | undefined): string {
  return (userAgent ?? "none").split(/[ /]/)[0];
}

/** The operator's reads and writes the API server audited between `from` and `to` (ms epoch). */
export function operatorRequests(auditLog: string, from: number, to: number): ApiRequestCounts {
  const events = readAudit(auditLog).filter(
    e => receivedAt(e) >= from && receivedAt(e) < to && isOperator(e),
  );
  return countRequests(events);
}

export function countRequests(events: AuditEvent[]): ApiRequestCounts {
  const counts: ApiRequestCounts = {
    reads: 0,
    writes: 0,
    leaseRequests: 0,
    healthProbes: 0,
    breakdown: {},
  };
  for (const e of events) {
    const key = `${e.verb} ${e.objectRef?.resource ?? e.requestURI} ${product(e.userAgent)}`;
    counts.breakdown[key] = (counts.breakdown[key] ?? 0) + 1;
    if (isProbe(e)) counts.healthProbes++;
    else if (e.objectRef?.resource === "leases") counts.leaseRequests++;
    else if (READ_VERBS.includes(e.verb)) counts.reads++;
    else if (WRITE_VERBS.includes(e.verb)) counts.writes++;
  }
  return counts;
}
