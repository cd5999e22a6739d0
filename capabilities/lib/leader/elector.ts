import { errorMessage, OperatorError } from "../errors";
import { nullLogger, type Logger } from "../logger";
import { systemClock, type Clock, type TimerHandle } from "../queue/clock";
import type { LeaderLock, LeaderRecord, ObservedRecord } from "./lease-lock";

/** client-go's defaults (and its rules: leaseDuration > renewDeadline > 1.2 × retryPeriod). */
export const DEFAULT_TIMINGS = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};
export const JITTER_FACTOR = 1.2;

export type LeaderTimings = typeof DEFAULT_TIMINGS;

/** A write refused because this replica does not (or no longer) hold the lease. */
export class NotLeaderError extends OperatorError {
  constructor(detail: string) {
    super(`not the leader (${detail}); the write was not sent`, {
      reason: "NotLeader",
      retryable: false,
    });
  }
}

/** Why client-go would refuse these timings; undefined when they are sound. */
export function timingsProblem(t: LeaderTimings): string | undefined {
  if (!(t.retryPeriodMs > 0)) return "the retry period must be positive";
  if (!(t.leaseDurationMs > t.renewDeadlineMs))
    return "the lease duration must be longer than the renew deadline";
  if (!(t.renewDeadlineMs > JITTER_FACTOR * t.retryPeriodMs))
    return `the renew deadline must be longer than ${JITTER_FACTOR} × the retry period`;
  return undefined;
}

export interface LeaderElectorOptions {
  lock: LeaderLock;
  /** Unique per process: pod name plus a random suffix. */
  identity: string;
  timings?: Partial<LeaderTimings>;
  clock?: Clock;
  /** Wall-clock time for the record's acquireTime/renewTime (expiry never depends on it). */
  wallClock?: () => Date;
  random?: () => number;
  logger?: Logger;
  onStartedLeading(): void;
  /** Called once per lost term, synchronously, before any further write could pass the fence. */
  onStoppedLeading(reason: string): void;
  /** Another identity was seen holding the lease (for logs and metrics). */
  onNewLeader?(identity: string): void;
}

type State = "stopped" | "candidate" | "leader";

/** The Lease's MicroTime wants exactly six fraction digits. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/**
 * Leader election on a lock (a Lease), following client-go's leaderelection:
 * - a candidate tries to acquire every retryPeriod (with jitter); it may take the lease when it
 *   is free, or when the record has not changed for leaseDuration *as measured by its own clock*
 *   since it first saw that record (never by comparing clocks with the holder);
 * - the leader renews every retryPeriod; every write to the lock is conditional on the
 *   resourceVersion read, so only one candidate can win a given record;
 * - the leader's term is valid until renewDeadline after the last renewal that went through,
 *   counted from when that renewal was *sent*; `isLeader()` (the write fence) answers false from
 *   then on, and the term ends at once (onStoppedLeading) even if no timer has run yet, as after a
 *   SIGSTOP. Since renewDeadline < leaseDuration, the fence closes before any standby may take over.
 * Unlike client-go, which exits the process, a replica that loses its term becomes a candidate again.
 */
export class LeaderElector {
  private state: State = "stopped";
  /** Bumped on every transition: an answer for an older term or loop is ignored. */
  private epoch = 0;
  private validUntil = 0;
  private observed?: { record: string; at: number };
  /** The record as this replica last wrote it while leading (released in one write on stop). */
  private written?: ObservedRecord;
  private timer?: TimerHandle;
  private deadlineTimer?: TimerHandle;
  private currentLeader?: string;
  private readonly timings: LeaderTimings;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly opts: LeaderElectorOptions) {
    this.timings = { ...DEFAULT_TIMINGS, ...opts.timings };
    const problem = timingsProblem(this.timings);
    if (problem) throw new RangeError(`leader election: ${problem}`);
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? nullLogger;
  }

  get identity(): string {
    return this.opts.identity;
  }

  /** The identity last seen holding the lease (this one included). */
  get leader(): string | undefined {
    return this.currentLeader;
  }

  start(): void {
    if (this.state !== "stopped") return;
    this.state = "candidate";
    this.epoch++;
    this.log.info(
      { identity: this.identity, lease: this.opts.lock.describe() },
      "waiting to acquire the lease",
    );
    this.schedule(0);
  }

  /** The write fence: true only while this replica's term is valid. */
  isLeader(): boolean {
    if (this.state !== "leader") return false;
    if (this.clock.now() < this.validUntil) return true;
    this.lose("the renew deadline passed without a renewal");
    return false;
  }

  /** Throws NotLeaderError unless `isLeader()`. */
  fence(): void {
    if (!this.isLeader())
      throw new NotLeaderError(
        `lease ${this.opts.lock.describe()} held by ${this.leader ?? "nobody"}`,
      );
  }

  /**
   * Stops electing. A leader gives the lease up (client-go's ReleaseOnCancel), so a standby takes
   * over at its next try instead of after leaseDuration.
   */
  async stop(): Promise<void> {
    const wasLeader = this.state === "leader";
    this.clearTimers();
    this.state = "stopped";
    this.epoch++;
    if (wasLeader) this.end("stopping");
    const last = this.written;
    if (!wasLeader || !last) return;
    try {
      // One conditional write, no read first: a process being stopped may have little time left.
      const released = await this.opts.lock.update(
        {
          ...last.record,
          holderIdentity: "",
          leaseDurationSeconds: 1,
          renewTime: microTime(this.wall()),
        },
        last.resourceVersion,
      );
      if (released) this.log.info({ lease: this.opts.lock.describe() }, "released the lease");
    } catch (err) {
      this.log.warn(
        { err: errorMessage(err) },
        "could not release the lease; a standby takes over once it expires",
      );
    }
  }

  private wall(): Date {
    return (this.opts.wallClock ?? (() => new Date(this.clock.now())))();
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, ms);
  }

  private clearTimers(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    if (this.deadlineTimer !== undefined) this.clock.clearTimeout(this.deadlineTimer);
    this.timer = this.deadlineTimer = undefined;
  }

  private jittered(): number {
    const r = this.opts.random ?? Math.random;
    return this.timings.retryPeriodMs * (1 + r() * JITTER_FACTOR);
  }

  private async tick(): Promise<void> {
    const epoch = this.epoch;
    const sentAt = this.clock.now();
    let outcome: "acquired" | "held" | "failed";
    try {
      outcome = await this.tryAcquireOrRenew(sentAt);
    } catch (err) {
      this.log.warn(
        { lease: this.opts.lock.describe(), err: errorMessage(err) },
        "could not read or write the lease",
      );
      outcome = "failed";
    }
    if (epoch !== this.epoch) return;
    if (this.state === "candidate") {
      if (outcome === "acquired") this.begin(sentAt);
      this.schedule(outcome === "acquired" ? this.timings.retryPeriodMs : this.jittered());
      return;
    }
    // Leader.
    if (outcome === "acquired") {
      this.extend(sentAt);
      this.schedule(this.timings.retryPeriodMs);
    } else if (outcome === "held") {
      this.lose(`the lease is held by ${this.currentLeader ?? "another replica"}`);
    } else if (this.isLeader()) {
      this.schedule(this.timings.retryPeriodMs);
    }
  }

  private async tryAcquireOrRenew(now: number): Promise<"acquired" | "held" | "failed"> {
    const { lock, identity } = this.opts;
    const durationSeconds = Math.ceil(this.timings.leaseDurationMs / 1000);
    const wallNow = microTime(this.wall());
    const current = await lock.get();
    if (!current) {
      const created = await lock.create({
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        acquireTime: wallNow,
        renewTime: wallNow,
        leaseTransitions: 0,
      });
      if (!created) return "failed";
      this.observe(created, now);
      this.written = created;
      return "acquired";
    }
    this.observe(current, now);
    const { record } = current;
    const holder = record.holderIdentity ?? "";
    if (holder && holder !== identity) {
      const expiresAt = this.observed!.at + (record.leaseDurationSeconds ?? durationSeconds) * 1000;
      if (now < expiresAt) return "held";
    }
    const mine = holder === identity;
    const next: LeaderRecord = {
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      acquireTime: mine && record.acquireTime ? record.acquireTime : wallNow,
      renewTime: wallNow,
      leaseTransitions: (record.leaseTransitions ?? 0) + (mine ? 0 : 1),
    };
    const updated = await lock.update(next, current.resourceVersion);
    if (!updated) return "failed";
    this.observe(updated, now);
    this.written = updated;
    return "acquired";
  }

  /** Remembers when the record last changed, by this replica's clock. */
  private observe(o: ObservedRecord, now: number): void {
    const text = JSON.stringify(o.record);
    if (this.observed?.record !== text) this.observed = { record: text, at: now };
    const holder = o.record.holderIdentity || undefined;
    if (holder !== this.currentLeader) {
      this.currentLeader = holder;
      if (holder && holder !== this.identity) {
        this.log.info({ leader: holder, lease: this.opts.lock.describe() }, "new leader");
        this.opts.onNewLeader?.(holder);
      }
    }
  }

  private begin(sentAt: number): void {
    this.state = "leader";
    this.extend(sentAt);
    this.log.info(
      { identity: this.identity, lease: this.opts.lock.describe() },
      "became the leader",
    );
    this.opts.onStartedLeading();
  }

  private extend(sentAt: number): void {
    this.validUntil = sentAt + this.timings.renewDeadlineMs;
    if (this.deadlineTimer !== undefined) this.clock.clearTimeout(this.deadlineTimer);
    // Ends the term on time even when no write asks the fence.
    this.deadlineTimer = this.clock.setTimeout(
      () => {
        this.deadlineTimer = undefined;
        this.isLeader();
      },
      Math.max(0, this.validUntil - this.clock.now()),
    );
  }

  private lose(reason: string): void {
    if (this.state !== "leader") return;
    this.state = "candidate";
    this.epoch++;
    this.end(reason);
    this.schedule(this.jittered());
  }

  private end(reason: string): void {
    this.validUntil = 0;
    if (this.deadlineTimer !== undefined) this.clock.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.log.warn(
      { identity: this.identity, lease: this.opts.lock.describe(), reason },
      "lost the lease; writes stop",
    );
    this.opts.onStoppedLeading(reason);
  }
}
