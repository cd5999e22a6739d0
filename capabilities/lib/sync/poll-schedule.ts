/** The condition a sync carries while its poll is due but has not started (no worker free). */
export const POLL_OVERDUE_CONDITION = "PollOverdue";

export interface OverduePoll {
  name: string;
  dueAt: number;
  lateMs: number;
}

/**
 * When each sync's next poll is due, so a poll that waits for a worker can be told from one on
 * time. A poll is overdue once it is late by more than a quarter of its interval, and at least
 * `minGraceMs` (jitter and a busy moment are not worth a status write).
 */
export class PollSchedule {
  private readonly due = new Map<string, { dueAt: number; pollMs: number }>();
  private readonly running = new Set<string>();

  constructor(private readonly minGraceMs = 10_000) {}

  private graceMs(pollMs: number): number {
    return Math.max(this.minGraceMs, pollMs / 4);
  }

  /** The sync's next poll is due at `dueAt` (default now + pollMs); no poll when pollMs is 0 or less. */
  scheduled(name: string, now: number, pollMs: number, dueAt = now + pollMs): void {
    if (pollMs > 0) this.due.set(name, { dueAt, pollMs });
    else this.due.delete(name);
  }

  /** When the sync's next poll is due, and its interval; undefined without a poll. */
  entry(name: string): { dueAt: number; pollMs: number } | undefined {
    return this.due.get(name);
  }

  started(name: string): void {
    this.running.add(name);
  }

  finished(name: string): void {
    this.running.delete(name);
  }

  /** How late the sync's poll is at `now` (0 when not yet due); undefined without a poll. */
  lateness(name: string, now: number): number | undefined {
    const d = this.due.get(name);
    return d ? Math.max(0, now - d.dueAt) : undefined;
  }

  /** True while the sync's next poll is scheduled and not yet due (false without a poll). */
  notDue(name: string, now: number): boolean {
    const d = this.due.get(name);
    return d !== undefined && now < d.dueAt;
  }

  forget(name: string): void {
    this.due.delete(name);
    this.running.delete(name);
  }

  reset(): void {
    this.due.clear();
    this.running.clear();
  }

  /** Syncs whose poll is overdue and not running: they wait for a worker. */
  overdue(now: number): OverduePoll[] {
    const out: OverduePoll[] = [];
    for (const [name, d] of this.due) {
      const lateMs = now - d.dueAt;
      if (!this.running.has(name) && lateMs > this.graceMs(d.pollMs))
        out.push({ name, dueAt: d.dueAt, lateMs });
    }
    return out;
  }

  get size(): number {
    return this.due.size;
  }
}
