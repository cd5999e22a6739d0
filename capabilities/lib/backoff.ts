/** Backoff arithmetic shared by the Infrahub client, the Kubernetes client and the work queue. */

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
 * so concurrent callers spread out but never retry immediately.
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
