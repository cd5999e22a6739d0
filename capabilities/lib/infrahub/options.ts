import { nullLogger, type Logger } from "../logger";
import {
  systemClock,
  type Clock,
  type InfrahubClientOptions,
  type InfrahubRequestObservation,
} from "./types";

/** Client options with every default filled in. */
export interface ResolvedOptions {
  timeoutMs: number;
  retry: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number; maxRetryAfterMs: number };
  breaker: { consecutiveFailures: number; halfOpenAfterMs: number };
  maxArtifactBytes: number;
  pageSize: number;
  maxBatchLookups: number;
  logger: Logger;
  onRequest: (observation: InfrahubRequestObservation) => void;
  clock: Clock;
  random: () => number;
}

export const DEFAULTS = {
  timeoutMs: 30_000,
  maxAttempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 30_000,
  consecutiveFailures: 5,
  halfOpenAfterMs: 30_000,
  maxArtifactBytes: 4 * 1024 * 1024,
  pageSize: 100,
  maxBatchLookups: 50,
} as const;

function positive(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min) {
    throw new RangeError(`Infrahub client option ${name} must be a number >= ${min}, got ${value}`);
  }
  return value;
}

/** Fills in defaults and rejects nonsensical values early (a programming error, not a user one). */
export function resolveOptions(opts: InfrahubClientOptions = {}): ResolvedOptions {
  const onRequest = opts.onRequest;
  return {
    timeoutMs: positive("timeoutMs", opts.timeoutMs, DEFAULTS.timeoutMs),
    retry: {
      maxAttempts: Math.floor(
        positive("retry.maxAttempts", opts.retry?.maxAttempts, DEFAULTS.maxAttempts),
      ),
      baseDelayMs: positive("retry.baseDelayMs", opts.retry?.baseDelayMs, DEFAULTS.baseDelayMs, 0),
      maxDelayMs: positive("retry.maxDelayMs", opts.retry?.maxDelayMs, DEFAULTS.maxDelayMs, 0),
      maxRetryAfterMs: positive(
        "retry.maxRetryAfterMs",
        opts.retry?.maxRetryAfterMs,
        DEFAULTS.maxRetryAfterMs,
        0,
      ),
    },
    breaker: {
      consecutiveFailures: Math.floor(
        positive(
          "breaker.consecutiveFailures",
          opts.breaker?.consecutiveFailures,
          DEFAULTS.consecutiveFailures,
        ),
      ),
      halfOpenAfterMs: positive(
        "breaker.halfOpenAfterMs",
        opts.breaker?.halfOpenAfterMs,
        DEFAULTS.halfOpenAfterMs,
        0,
      ),
    },
    maxArtifactBytes: positive(
      "maxArtifactBytes",
      opts.maxArtifactBytes,
      DEFAULTS.maxArtifactBytes,
    ),
    pageSize: Math.floor(positive("pageSize", opts.pageSize, DEFAULTS.pageSize)),
    maxBatchLookups: Math.floor(
      positive("maxBatchLookups", opts.maxBatchLookups, DEFAULTS.maxBatchLookups),
    ),
    logger: opts.logger ?? nullLogger,
    // A broken metrics hook must never break a request.
    onRequest: observation => {
      try {
        onRequest?.(observation);
      } catch {
        /* ignored on purpose */
      }
    },
    clock: opts.clock ?? systemClock,
    random: opts.random ?? Math.random,
  };
}
