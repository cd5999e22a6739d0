import type { ObjectHealth } from "../apply/health";
import { formatDuration } from "../duration";
import type { HealthStatusField, VidraState } from "./resources";

/** spec.timeout when unset. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 5 * 60_000;
/** Objects listed in status.health.unhealthy; the count says how many there are. */
export const MAX_UNHEALTHY_LISTED = 20;
/** Objects named in a condition message; the rest are counted. */
const NAMED_IN_MESSAGE = 3;
/** Bounds of the re-check delay while waiting: soon at first, then every few seconds. */
export const MIN_RECHECK_MS = 1000;
export const MAX_RECHECK_MS = 10_000;

export interface HealthGateInput {
  /** The health of every applied object, as just read. */
  objects: ObjectHealth[];
  /** status.health before this pass. */
  previous: HealthStatusField | null | undefined;
  /** Something was just written, or the spec changed: a new wait begins. */
  changed: boolean;
  timeoutMs: number;
  now: Date;
  /** "4 object(s) applied to this cluster", the message of a plain apply. */
  applied: string;
}

export type GateOutcome =
  | { kind: "ready"; reason: string; message: string }
  | { kind: "progressing"; reason: string; message: string }
  | { kind: "failed"; reason: string; message: string; stalled: boolean };

export interface HealthGateResult {
  health: HealthStatusField;
  outcome: GateOutcome;
  /** Vidra's DeployState for it. */
  state: VidraState;
  /** While waiting: when to look again (never past the deadline). */
  recheckAfterMs?: number;
}

function describe(objects: ObjectHealth[]): string {
  const named = objects.slice(0, NAMED_IN_MESSAGE).map(o => `${o.subject}: ${o.message}`);
  const more = objects.length - named.length;
  return `${named.join("; ")}${more > 0 ? `; and ${more} more` : ""}`;
}

/**
 * Ready means "applied and healthy" for a VidraResource that waits (spec.wait), with Flux's
 * conditions: Reconciling while its objects roll out, Ready=False with Stalled once the timeout
 * passes (or at once when an object Failed, a Job say), naming the objects and why.
 *
 * The wait's start (status.health.since) survives restarts: it moves when a change is applied, when
 * the spec changes, and when healthy objects stop being so (a node lost); a re-apply that changes
 * nothing neither restarts an expired wait nor lets a stalled one hide.
 */
export function healthGate(input: HealthGateInput): HealthGateResult {
  const { objects, previous, changed, now, timeoutMs } = input;
  const nowIso = now.toISOString();
  const unhealthy = objects.filter(o => o.status !== "Current");
  const listed = unhealthy.slice(0, MAX_UNHEALTHY_LISTED).map(o => ({
    apiVersion: o.ref.apiVersion,
    kind: o.ref.kind,
    ...(o.ref.namespace ? { namespace: o.ref.namespace } : {}),
    name: o.ref.name,
    status: o.status,
    message: o.message,
  }));
  const field = (status: HealthStatusField["status"], since: string): HealthStatusField => ({
    status,
    since,
    unhealthyCount: unhealthy.length,
    unhealthy: listed,
  });

  if (unhealthy.length === 0) {
    const since = !changed && previous?.status === "Healthy" ? previous.since : nowIso;
    return {
      health: field("Healthy", since),
      outcome: {
        kind: "ready",
        reason: "Healthy",
        message: `${input.applied}; all ${objects.length} healthy`,
      },
      state: "Succeeded",
    };
  }

  const total = objects.length;
  const failedNow = unhealthy.filter(o => o.status === "Failed");
  const unhealthyResult = (since: string, why: string): HealthGateResult => ({
    health: field("Unhealthy", since),
    outcome: { kind: "failed", reason: "HealthCheckFailed", message: why, stalled: true },
    state: "Failed",
  });
  if (failedNow.length)
    return unhealthyResult(
      !changed && previous?.status === "Unhealthy" ? previous.since : nowIso,
      `${failedNow.length} of ${total} object(s) failed: ${describe(failedNow)}`,
    );

  const continuing =
    !changed && (previous?.status === "Progressing" || previous?.status === "Unhealthy");
  const kept = continuing && previous ? Date.parse(previous.since) : NaN;
  const since = Number.isFinite(kept) ? previous!.since : nowIso;
  const startMs = Date.parse(since);
  const deadline = startMs + timeoutMs;
  if (previous?.status === "Unhealthy" && continuing)
    return unhealthyResult(
      since,
      `${unhealthy.length} of ${total} object(s) not healthy: ${describe(unhealthy)}`,
    );
  if (now.getTime() >= deadline)
    return unhealthyResult(
      since,
      `${unhealthy.length} of ${total} object(s) not healthy after ${formatDuration(timeoutMs)}: ${describe(unhealthy)}`,
    );
  const elapsed = now.getTime() - startMs;
  return {
    health: field("Progressing", since),
    outcome: {
      kind: "progressing",
      reason: "Progressing",
      message: `waiting for ${unhealthy.length} of ${total} object(s) to become healthy: ${describe(unhealthy)}`,
    },
    state: "Running",
    recheckAfterMs: Math.min(
      deadline - now.getTime(),
      Math.max(MIN_RECHECK_MS, Math.min(MAX_RECHECK_MS, elapsed / 5)),
    ),
  };
}
