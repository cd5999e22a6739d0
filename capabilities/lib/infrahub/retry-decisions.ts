import { backoffDelayMs } from "../backoff";
import { InfrahubBusyError, InfrahubInvalidResponseError, InfrahubTransientError } from "./errors";
import type { ResolvedOptions } from "./options";

/**
 * Pure retry decisions, kept apart from the cockatiel wiring so they can be tested exhaustively.
 * Transient = network error, timeout, truncated body, 5xx, 429, or a non-JSON body where JSON was
 * due. Everything else (4xx, GraphQL errors, wrong shapes, TLS, a stored query that fails in
 * Infrahub) is final for this call. Of the transient ones, all but 429 count as an outage.
 */

// Retry-After parsing and the backoff curve are shared with the Kubernetes client.
export { backoffDelayMs, parseRetryAfter } from "../backoff";

/** True for failures that trying again may cure (retried within the call). */
export function isTransientFailure(err: unknown): boolean {
  return (
    err instanceof InfrahubTransientError ||
    (err instanceof InfrahubInvalidResponseError && err.retryable)
  );
}

/**
 * True for failures that say "the server or the path to it is unwell" (counted by the circuit
 * breaker). A 429 is not one: a server that sheds load is up and says when to come back, and
 * opening the breaker on it would fail every concurrent call at once instead of letting each wait.
 */
export function countsAsOutage(err: unknown): boolean {
  return isTransientFailure(err) && !(err instanceof InfrahubBusyError);
}

/**
 * Whether one call should try again after `err`. A Retry-After longer than the configured cap
 * ends the call (the error keeps `retryAfterMs` for the caller's requeue) instead of being
 * shortened: honouring the server's request matters more than finishing this call.
 */
export function shouldRetry(err: unknown, retry: ResolvedOptions["retry"]): boolean {
  if (!isTransientFailure(err)) return false;
  if (err instanceof InfrahubTransientError && err.retryAfterMs !== undefined) {
    return err.retryAfterMs <= retry.maxRetryAfterMs;
  }
  return true;
}

/**
 * How long to wait before retry number `retry` (1-based) after `err`. A Retry-After is waited in
 * full, plus up to a tenth of it (at most 1 s) of jitter so that calls shed together do not all
 * come back in the same instant; never more than the cap.
 */
export function retryDelayMs(
  err: unknown,
  retry: number,
  opts: ResolvedOptions["retry"],
  random: () => number,
): number {
  if (err instanceof InfrahubTransientError && err.retryAfterMs !== undefined) {
    const jitter = Math.round(random() * Math.min(err.retryAfterMs / 10, 1_000));
    return Math.min(err.retryAfterMs + jitter, Math.max(opts.maxRetryAfterMs, err.retryAfterMs));
  }
  return backoffDelayMs(retry, opts, random);
}
