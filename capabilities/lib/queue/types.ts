/** The work queue's public types (see work-queue.ts). */
import type { Logger } from "../logger";
import type { Clock } from "./clock";

/**
 * What a reconcile asks of the queue: `requeueAfterMs` schedules the next run (the periodic poll);
 * 0 or less runs it again at once; undefined or a non-finite number schedules nothing.
 */
export type ReconcileResult = { requeueAfterMs?: number } | void;

export type QueueEventType =
  | "added"
  | "coalesced"
  | "started"
  | "succeeded"
  | "failed"
  | "retry-scheduled"
  | "requeue-scheduled";

/** For metrics. `delayMs` on *-scheduled, `durationMs` on succeeded/failed, `error` on failed. */
export interface QueueEvent {
  type: QueueEventType;
  key: string;
  delayMs?: number;
  durationMs?: number;
  error?: unknown;
}

export interface WorkQueueOptions {
  /** How many different keys may run at once per partition (a key never runs twice at once). */
  concurrency: number;
  /**
   * The partition (bulkhead) of a key, asked when the key starts waiting: each partition has its own
   * `concurrency` slots, so slow keys of one partition cannot hold up another's. Default: one
   * partition for every key.
   */
  partitionOf?: (key: string) => string;
  /** Failure backoff: first retry after this (default 1s), doubling per consecutive failure... */
  baseDelayMs?: number;
  /** ...up to this (default 5 min). */
  maxDelayMs?: number;
  /** ±fraction applied to failure delays (default 0.2). */
  jitter?: number;
  /** Randomness for jitter, in [0, 1) (default Math.random); tests inject a constant. */
  random?: () => number;
  clock?: Clock;
  logger?: Logger;
  onEvent?: (e: QueueEvent) => void;
  /** client-go's workqueue measurements, reported as they happen (observability/workqueue-metrics.ts). */
  metrics?: WorkQueueMetrics;
}

/**
 * What client-go's workqueue measures, with its meanings: an add that is not coalesced into a
 * pending one counts, a key's wait runs from its first such add to the start of its handler.
 */
export interface WorkQueueMetrics {
  /** A key was queued, or marked to run again after its running handler (client-go's adds). */
  added(): void;
  /** A handler started, `waitedMs` after its key was first added. */
  started(waitedMs: number): void;
  /** A handler finished after `workedMs`. */
  finished(workedMs: number): void;
  /**
   * A run was asked for after a delay: a retry with backoff, a handler's `requeueAfterMs` (0
   * included), an addAfter that was not coalesced. client-go counts these (AddAfter) as retries.
   */
  delayed(): void;
}
