import { errorMessage, isRetryable, OperatorError } from "../errors";
import { Logger, nullLogger } from "../logger";
import { BackoffOptions, failureDelay } from "./backoff";
import { Clock, systemClock, TimerHandle } from "./clock";
import { Lanes } from "./lanes";
import type {
  QueueEventType,
  QueueEvent,
  ReconcileResult,
  WorkQueueMetrics,
  WorkQueueOptions,
} from "./types";

export type {
  QueueEvent,
  QueueEventType,
  ReconcileResult,
  WorkQueueMetrics,
  WorkQueueOptions,
} from "./types";

interface KeyState {
  failures: number;
  running: boolean;
  /** The partition whose slot the running handler holds. */
  partition?: string;
  /** Added while running: run once more right after. */
  dirty: boolean;
  /** Removed while running: when the run ends, schedule nothing and forget the key. */
  removed: boolean;
  timer?: { handle: TimerHandle; at: number };
  /** When the key was first added since its last start (its wait, for metrics). */
  queuedAt?: number;
}

/**
 * A keyed work queue in the manner of client-go's workqueue with its rate limiter, which Pepr's own
 * queue lacks (it neither retries nor coalesces):
 * - a key runs in at most one handler at a time; different keys run concurrently up to `concurrency`
 *   per partition (`partitionOf`; one partition by default), first come first served within each, so
 *   keys whose handlers hang on one dependency never take the slots of another partition's keys;
 * - adds coalesce: a waiting key is not queued twice, and a key added while running runs once more
 *   after the current run;
 * - each key has at most one pending next run, and the earliest request wins: `add` runs now (cancelling
 *   a pending delay), `addAfter` keeps the earlier of the pending and the new time;
 * - a failed run is retried after `min(max, base * 2^(failures-1))` ± jitter without any new event,
 *   except for an OperatorError with `retryable: false`, which waits for the next add; success resets
 *   the failure count and honours `requeueAfterMs`.
 * Delays are timers, never sleeps inside a handler's slot. Which waiting key runs next, lane by
 * lane, is lanes.ts's job; how long a retry waits, backoff.ts's.
 */
export class WorkQueue {
  private readonly keys = new Map<string, KeyState>();
  /** The keys waiting for a slot, by partition. */
  private readonly lanes: Lanes;
  private running = 0;
  private timers = 0;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly backoff: BackoffOptions;
  private readonly metrics: WorkQueueMetrics | undefined;
  /** Start time of each running handler (unfinished work, for metrics). */
  private readonly runningSince = new Map<string, number>();

  constructor(
    private readonly handler: (key: string) => Promise<ReconcileResult>,
    private readonly opts: WorkQueueOptions,
  ) {
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) {
      throw new RangeError(
        `WorkQueue concurrency must be a positive integer, got ${opts.concurrency}`,
      );
    }
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.logger ?? nullLogger).child({ component: "work-queue" });
    this.backoff = {
      baseDelayMs: opts.baseDelayMs ?? 1_000,
      maxDelayMs: opts.maxDelayMs ?? 300_000,
      jitter: opts.jitter ?? 0.2,
      random: opts.random ?? Math.random,
    };
    this.metrics = opts.metrics;
    this.lanes = new Lanes(opts.partitionOf);
  }

  /** Keys waiting to run (not counting running or delayed ones). */
  get depth(): number {
    return this.lanes.size;
  }

  /** Keys with a pending delayed run. */
  get delayedCount(): number {
    return this.timers;
  }

  get runningCount(): number {
    return this.running;
  }

  /** How long the running handlers have run, in all and the longest (client-go's unfinished work). */
  unfinishedWork(): { totalMs: number; longestMs: number } {
    const now = this.clock.now();
    let totalMs = 0;
    let longestMs = 0;
    for (const since of this.runningSince.values()) {
      totalMs += now - since;
      longestMs = Math.max(longestMs, now - since);
    }
    return { totalMs, longestMs };
  }

  /** Consecutive failures of the key's handler. */
  failures(key: string): number {
    return this.keys.get(key)?.failures ?? 0;
  }

  /** Runs the key as soon as a slot is free. */
  add(key: string): void {
    if (this.closed) return this.log.debug({ key }, "queue is shut down; add ignored");
    const st = this.state(key);
    st.removed = false;
    this.cancelTimer(st);
    if (st.running) {
      if (!st.dirty) this.counted(st);
      this.emit({ type: st.dirty ? "coalesced" : "added", key });
      st.dirty = true;
    } else if (this.lanes.has(key)) {
      // What made the key wait may have changed its lane (a sync waiting for a poll behind every
      // fetch of its Infrahub now has a readiness to refresh): it moves, keeping its wait's start.
      if (this.lanes.reroute(key)) this.pump();
      this.emit({ type: "coalesced", key });
    } else {
      this.counted(st);
      this.lanes.enqueue(key);
      this.emit({ type: "added", key });
      this.pump();
    }
  }

  /**
   * Runs the key after `delayMs`, unless an earlier run is already pending. A delay of 0 or less is
   * an add(); an infinite delay means never.
   */
  addAfter(key: string, delayMs: number): void {
    if (this.closed) return this.log.debug({ key }, "queue is shut down; addAfter ignored");
    if (delayMs === Number.POSITIVE_INFINITY) return;
    if (!(delayMs > 0)) return this.add(key);
    const st = this.state(key);
    st.removed = false;
    if (this.lanes.has(key) || st.dirty) return this.emit({ type: "coalesced", key });
    this.schedule(key, st, delayMs, "requeue-scheduled");
  }

  /** Resets the key's failure count (the next failure retries after the base delay). */
  forget(key: string): void {
    const st = this.keys.get(key);
    if (!st) return;
    st.failures = 0;
    this.tidy(key, st);
  }

  /** Drops everything pending for the key (its object is gone). A running handler finishes. */
  remove(key: string): void {
    const st = this.keys.get(key);
    if (!st) return;
    this.cancelTimer(st);
    this.lanes.remove(key);
    st.dirty = false;
    st.queuedAt = undefined;
    st.failures = 0;
    if (st.running) st.removed = true;
    else this.keys.delete(key);
    this.checkIdle();
  }

  /**
   * Drops every key, as remove() does each (this replica stopped leading). Running handlers
   * finish, and nothing is scheduled after them; the queue keeps accepting adds.
   */
  clear(): void {
    for (const key of [...this.keys.keys()]) this.remove(key);
  }

  /** Resolves once nothing is waiting or running (pending delays do not count). */
  idle(): Promise<void> {
    if (this.lanes.size === 0 && this.running === 0) return Promise.resolve();
    return new Promise(resolve => this.idleWaiters.push(resolve));
  }

  /** Stops accepting work, cancels delays and waiting keys, and waits for running handlers. */
  shutdown(): Promise<void> {
    this.closed = true;
    this.lanes.removeAll();
    for (const st of this.keys.values()) {
      this.cancelTimer(st);
      st.dirty = false;
      st.queuedAt = undefined;
    }
    this.checkIdle();
    return this.idle();
  }

  private state(key: string): KeyState {
    let st = this.keys.get(key);
    if (!st) {
      st = { failures: 0, running: false, dirty: false, removed: false };
      this.keys.set(key, st);
    }
    return st;
  }

  /** Handlers running in a partition. */
  runningIn(partition: string): number {
    return this.lanes.runningIn(partition);
  }

  private pump(): void {
    if (this.closed) return;
    this.lanes.fill(this.opts.concurrency, (key, partition) => this.start(key, partition));
  }

  private start(key: string, partition: string): void {
    const st = this.state(key);
    st.running = true;
    st.partition = partition;
    this.running++;
    const startedAt = this.clock.now();
    this.runningSince.set(key, startedAt);
    this.metrics?.started(startedAt - (st.queuedAt ?? startedAt));
    st.queuedAt = undefined;
    this.emit({ type: "started", key });
    let run: Promise<ReconcileResult>;
    try {
      run = Promise.resolve(this.handler(key));
    } catch (err) {
      run = Promise.reject(err);
    }
    void run.then(
      result => this.finish(key, st, startedAt, { ok: true, result }),
      error => this.finish(key, st, startedAt, { ok: false, error }),
    );
  }

  private finish(
    key: string,
    st: KeyState,
    startedAt: number,
    outcome: { ok: true; result: ReconcileResult } | { ok: false; error: unknown },
  ): void {
    st.running = false;
    this.running--;
    const partition = st.partition ?? "";
    st.partition = undefined;
    this.lanes.release(partition);
    const durationMs = this.clock.now() - startedAt;
    this.runningSince.delete(key);
    this.metrics?.finished(durationMs);
    if (outcome.ok) {
      st.failures = 0;
      this.emit({ type: "succeeded", key, durationMs });
    } else {
      st.failures++;
      this.emit({ type: "failed", key, durationMs, error: outcome.error });
    }

    if (st.removed || this.closed) {
      this.keys.delete(key);
    } else if (st.dirty) {
      // Added during the run: the new run's outcome decides what follows, so nothing is scheduled.
      st.dirty = false;
      this.lanes.enqueue(key);
    } else if (outcome.ok) {
      this.requeue(key, st, outcome.result?.requeueAfterMs);
    } else {
      this.afterFailure(key, st, outcome.error);
    }
    this.tidy(key, st);
    this.pump();
    this.checkIdle();
  }

  /**
   * Honours a handler's `requeueAfterMs`. Unlike controller-runtime, 0 (or less) means "again at once",
   * not "never": a handler computing `dueAt - now` must not stop its own polling by being late.
   */
  private requeue(key: string, st: KeyState, after: number | undefined): void {
    if (after === undefined || !Number.isFinite(after)) return;
    if (after > 0) return this.schedule(key, st, after, "requeue-scheduled");
    this.cancelTimer(st);
    this.metrics?.delayed();
    this.counted(st);
    this.lanes.enqueue(key);
    this.emit({ type: "requeue-scheduled", key, delayMs: 0 });
  }

  private afterFailure(key: string, st: KeyState, error: unknown): void {
    const fields = { key, failures: st.failures, error: errorMessage(error) };
    if (!isRetryable(error)) {
      const reason = error instanceof OperatorError ? error.reason : undefined;
      this.log.error(
        { ...fields, reason },
        "reconcile failed and is not retryable; waiting for the next add",
      );
      return;
    }
    const delayMs = failureDelay(st.failures, this.backoff);
    this.log.warn({ ...fields, retryInMs: delayMs }, "reconcile failed; will retry");
    this.schedule(key, st, delayMs, "retry-scheduled");
  }

  /** Sets the key's timer, keeping an earlier one. */
  private schedule(key: string, st: KeyState, delayMs: number, type: QueueEventType): void {
    const at = this.clock.now() + delayMs;
    this.metrics?.delayed();
    if (st.timer && st.timer.at <= at) {
      this.emit({ type, key, delayMs: st.timer.at - this.clock.now() });
      return;
    }
    this.cancelTimer(st);
    const handle = this.clock.setTimeout(() => this.fire(key, st), delayMs);
    st.timer = { handle, at };
    this.timers++;
    this.emit({ type, key, delayMs });
  }

  private fire(key: string, st: KeyState): void {
    st.timer = undefined;
    this.timers--;
    this.add(key);
  }

  private cancelTimer(st: KeyState): void {
    if (!st.timer) return;
    this.clock.clearTimeout(st.timer.handle);
    st.timer = undefined;
    this.timers--;
  }

  /** Forgets keys that hold nothing, so the map does not grow with every key ever seen. */
  private tidy(key: string, st: KeyState): void {
    if (
      !st.running &&
      !st.timer &&
      st.failures === 0 &&
      !this.lanes.has(key) &&
      this.keys.get(key) === st
    ) {
      this.keys.delete(key);
    }
  }

  private checkIdle(): void {
    if (this.lanes.size > 0 || this.running > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** An add that queues the key (not one coalesced into a pending run): counted, its wait starts. */
  private counted(st: KeyState): void {
    st.queuedAt ??= this.clock.now();
    this.metrics?.added();
  }

  private emit(e: QueueEvent): void {
    if (!this.opts.onEvent) return;
    try {
      this.opts.onEvent(e);
    } catch (err) {
      this.log.warn(
        { key: e.key, event: e.type, error: errorMessage(err) },
        "queue event hook threw",
      );
    }
  }
}
