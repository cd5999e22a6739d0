import { backoffDelayMs } from "../backoff";
import { InfrahubInvalidResponseError, InfrahubTransientError } from "./errors";
import type { ResolvedOptions } from "./options";

/**
 * Pure retry decisions, kept apart from the cockatiel wiring so they can be tested exhaustively.
 * Transient = network error, timeout, truncated body, 5xx, 429, or a non-JSON body where JSON was
 * due. Everything else (4xx, GraphQL errors, wrong shapes, TLS) is final for this call.
 */

// Retry-After parsing and the backoff curve are shared with the Kubernetes client.
export { backoffDelayMs, parseRetryAfter } from "../backoff";

/** True for failures that say "the server or the path to it is unwell" (counted by the breaker). */
export function isTransientFailure(err: unknown): boolean {
  return (
    err instanceof InfrahubTransientError ||
    (err instanceof InfrahubInvalidResponseError && err.retryable)
  );
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

/** How long to wait before retry number `retry` (1-based) after `err`. */
export function retryDelayMs(
  err: unknown,
  retry: number,
  opts: ResolvedOptions["retry"],
  random: () => number,
): number {
  if (err instanceof InfrahubTransientError && err.retryAfterMs !== undefined) {
    return Math.min(err.retryAfterMs, opts.maxRetryAfterMs);
  }
  return backoffDelayMs(retry, opts, random);
}
