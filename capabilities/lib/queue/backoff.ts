/** Per-key failure backoff settings; see WorkQueueOptions. */
export interface BackoffOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Fraction of the delay added or removed at random (0.2 = ±20%). */
  jitter: number;
  /** A number in [0, 1), injectable for deterministic tests. */
  random: () => number;
}

/**
 * Delay before retry number `failures` (1 for the first failure): `min(max, base * 2^(failures-1))`,
 * then ±jitter so keys that failed together (an API server restart) do not retry together.
 */
export function failureDelay(failures: number, opts: BackoffOptions): number {
  const exponent = Math.max(0, failures - 1);
  const capped = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** exponent);
  const jitter = opts.jitter * (2 * opts.random() - 1);
  return Math.max(0, Math.round(capped * (1 + jitter)));
}
