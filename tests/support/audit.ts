import { existsSync, readFileSync } from "node:fs";

const WRITE_VERBS = ["create", "update", "patch", "delete"];

/**
 * The API server's audit policy the HA tests use: metadata of every write, and for ConfigMaps
 * (the objects the tests apply) the answer too, whose resourceVersion tells a write that changed
 * the object from a no-op one. Nothing about reads.
 */
export const WRITES_AUDIT_POLICY = {
  apiVersion: "audit.k8s.io/v1",
  kind: "Policy",
  omitStages: ["RequestReceived"],
  rules: [
    {
      level: "RequestResponse",
      verbs: WRITE_VERBS,
      resources: [{ group: "", resources: ["configmaps"] }],
    },
    { level: "Metadata", verbs: WRITE_VERBS },
    { level: "None" },
  ],
};

/** One audit event (the fields the tests read). */
export interface AuditEvent {
  auditID: string;
  verb: string;
  userAgent?: string;
  requestURI: string;
  objectRef?: {
    resource?: string;
    namespace?: string;
    name?: string;
    apiGroup?: string;
    subresource?: string;
  };
  responseStatus?: { code?: number };
  /** At level RequestResponse only. */
  responseObject?: { metadata?: { resourceVersion?: string } };
  requestReceivedTimestamp: string;
  stage: string;
}

/** Completed requests from the audit log, in the order the server received them. */
export function readAudit(path: string): AuditEvent[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map(l => JSON.parse(l) as AuditEvent)
    .filter(e => e.stage === "ResponseComplete")
    .sort((a, b) => receivedAt(a) - receivedAt(b));
}

/** Watches, as the audit log shows them when their response starts (they complete only when they end). */
export function startedWatches(path: string): AuditEvent[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map(l => JSON.parse(l) as AuditEvent)
    .filter(e => e.verb === "watch" && e.stage === "ResponseStarted");
}

/** Milliseconds since the epoch (the server writes microseconds). */
export function receivedAt(e: AuditEvent): number {
  return Date.parse(e.requestReceivedTimestamp);
}

/** Writes that changed something: not dry-runs, answered 2xx. */
export function effectiveWrites(events: AuditEvent[]): AuditEvent[] {
  return events.filter(
    e =>
      ["create", "update", "patch", "delete"].includes(e.verb) &&
      !/[?&]dryRun=/.test(e.requestURI) &&
      (e.responseStatus?.code ?? 0) >= 200 &&
      (e.responseStatus?.code ?? 0) < 300,
  );
}

/** The operator replica that sent the request (`vidra-pepr/<pod>_<suffix>` → `<pod>`). */
export function replicaOf(e: AuditEvent): string | undefined {
  return /^vidra-pepr\/(.+)_[0-9a-f]+$/.exec(e.userAgent ?? "")?.[1];
}
