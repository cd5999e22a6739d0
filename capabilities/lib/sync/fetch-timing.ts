import { isRetryable } from "../errors";
import { InfrahubCircuitOpenError, InfrahubTransientError } from "../infrahub";
import type { ReconcileResult } from "../queue/types";
import type { FetchState, PendingPush } from "./fetch-memory";
import { pollLeewayMs } from "./poll-batcher";
import { nextPollAt } from "./poll-grid";
import { CredentialsRefusedError } from "./refused-credentials";
import type { InfrahubSyncObject, SyncTrigger } from "./resources";

/**
 * When a sync fetches from Infrahub, and when its run comes again: whether a run fetches and why
 * (its trigger), how old a batched answer it accepts, when its next poll is due, and how long a
 * failed fetch waits. These are plain functions of what the last fetch saw and the clock, kept
 * apart from the reconciler so its steps say what they decide and the timing rules read together.
 */

/**
 * How often a sync whose credentials Infrahub refused looks at its Secret again (from the Secret
 * cache, nothing sent to Infrahub). The Secret's watch queues the sync as soon as it changes; this
 * is the fallback should that event be missed.
 */
const CREDENTIALS_RECHECK_MS = 30_000;

/** When the sync's poll is due, if it polls and has fetched in this process. */
export function pollDueAt(last: FetchState | undefined, pollMs: number): number | undefined {
  return last && pollMs > 0 ? (last.dueAt ?? last.at + pollMs) : undefined;
}

/**
 * Why this run fetches from Infrahub, or undefined when it need not: nothing but a VidraResource
 * changed since a successful fetch of the same generation and sync-now request, before its poll
 * is due.
 */
export function fetchTrigger(
  sync: InfrahubSyncObject,
  /** The sync's sync-now annotation. */
  request: string | undefined,
  last: FetchState | undefined,
  pushed: PendingPush | undefined,
  dueAt: number | undefined,
): SyncTrigger | undefined {
  if (pushed) return "Webhook";
  if (!last || last.generation !== sync.metadata.generation) return "Spec";
  if (last.failed) return "Retry";
  if (last.syncRequest !== request) return "SyncNow";
  if (dueAt !== undefined && Date.now() >= dueAt) return "Poll";
  return undefined;
}

/**
 * The oldest batched answer (ms since epoch) a fetch accepts: a poll's from shortly before it was
 * due, a webhook's from after the event, anything else only a new one.
 */
export function oldestAcceptedAnswer(
  trigger: SyncTrigger,
  dueAt: number | undefined,
  pollMs: number,
  pushed: PendingPush | undefined,
  runStarted: number,
): number {
  return trigger === "Poll" && dueAt !== undefined
    ? dueAt - pollLeewayMs(pollMs)
    : pushed
      ? pushed.receivedAt.getTime()
      : runStarted;
}

/** When the next poll is due after a fetch at `now`: on its batch group's grid when batched. */
export function nextPollTime(
  group: string | undefined,
  pollMs: number,
  now: number,
): number | undefined {
  return pollMs > 0 ? (group ? nextPollAt(group, pollMs, now) : now + pollMs) : undefined;
}

/** The queue's requeue for a run due at `at` (none without one). */
export function requeueAt(at: number | undefined, now: number): ReconcileResult {
  return at !== undefined ? { requeueAfterMs: Math.max(0, at - now) } : undefined;
}

/** A failed fetch that runs again soon (backoff, or when Infrahub said): a retry, not a poll. */
export function retriedSoon(err: unknown): boolean {
  return isRetryable(err) || serverRequestedDelay(err) !== undefined;
}

/**
 * When a failed fetch runs again: when Infrahub said to come back (circuit open, Retry-After);
 * with the queue's backoff when retryable (the error is thrown again for the queue); soon for
 * refused credentials (their Secret may be fixed); otherwise at the next poll.
 */
export function requeueAfterFailure(err: unknown, pollMs: number): ReconcileResult {
  const waitMs = serverRequestedDelay(err);
  if (waitMs !== undefined) return { requeueAfterMs: waitMs };
  if (isRetryable(err)) throw err;
  if (err instanceof CredentialsRefusedError)
    return {
      requeueAfterMs:
        pollMs > 0 ? Math.min(pollMs, CREDENTIALS_RECHECK_MS) : CREDENTIALS_RECHECK_MS,
    };
  return pollMs > 0 ? { requeueAfterMs: pollMs } : undefined;
}

/** How long Infrahub asked to be left alone (circuit open, Retry-After), if it did. */
export function serverRequestedDelay(err: unknown): number | undefined {
  if (err instanceof InfrahubCircuitOpenError) return Math.max(1000, err.retryAt - Date.now());
  if (err instanceof InfrahubTransientError && err.retryAfterMs !== undefined)
    return Math.max(1000, err.retryAfterMs);
  return undefined;
}
