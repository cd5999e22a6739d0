import { InfrahubInvalidResponseError, InfrahubTransientError } from "./errors";
import type { ResolvedOptions } from "./options";

/**
 * Pure retry decisions, kept apart from the cockatiel wiring so they can be tested exhaustively.
 * Transient = network error, timeout, truncated body, 5xx, 429, or a non-JSON body where JSON was
 * due. Everything else (4xx, GraphQL errors, wrong shapes, TLS) is final for this call.
 */

/**
 * `Retry-After` in milliseconds: delta-seconds or an HTTP-date (RFC 9110 §10.2.3). A date in the
 * past means "now" (0). Unparsable values are ignored (undefined), as the RFC asks.
 */
export function parseRetryAfter(
  header: string | string[] | undefined,
  nowMs: number,
): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // Dates always contain a letter (weekday/month); this keeps "1.5" or "-3" from parsing as years.
  if (!/[a-z]/i.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * Exponential backoff with "equal jitter": half of min(max, base·2^(retry-1)) fixed, half random,
 * so concurrent syncs spread out but never retry immediately.
 * @param retry 1 for the first retry
 */
export function backoffDelayMs(
  retry: number,
  opts: { baseDelayMs: number; maxDelayMs: number },
  random: () => number,
): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

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
