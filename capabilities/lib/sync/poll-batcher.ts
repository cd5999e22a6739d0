/**
 * Coalesces the Infrahub lookups of syncs that can be answered by one request (a "group": same
 * client, i.e. address + identity + TLS, same branch, same targetDate) into batches.
 *
 * A sync asks for its slice with the oldest answer it accepts (`notBefore`): a poll accepts one
 * sent from shortly before it was due, a webhook one sent after the event arrived, anything else
 * (sync-now, a new spec, a retry) only a new one. A batch stays open `windowMs` after its first
 * request, so syncs whose reconciles start together share it; when it is sent it also takes every
 * known sync of the group whose poll is due (by the schedule) but whose reconcile has not asked
 * yet, typically because it waits for a worker: that sync later finds its answer here instead of
 * sending a request of its own. A failed batch fails every sync in it, each with the same error.
 */

type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface BatchMember<F> {
  /** The sync's name (the key of its poll schedule). */
  name: string;
  /** Members with equal filter keys share one lookup in a batch. */
  filterKey: string;
  filters: F;
}

/** Sends one batch: distinct lookups in, an answer per filter key out; throws to fail them all. */
export type SendBatch<F, R> = (lookups: Map<string, F>) => Promise<Map<string, R>>;

export interface BatchReport {
  group: string;
  /** Syncs answered: those waiting and those taken ahead of their reconcile. */
  members: number;
  /** Distinct lookups sent. */
  lookups: number;
  ahead: number;
}

export interface PollBatcherOptions {
  /** How long a batch waits for more syncs after the first asked (default 50 ms). */
  windowMs?: number;
  /** When a sync's next poll is due, if it has one. */
  dueOf: (name: string) => { dueAt: number; pollMs: number } | undefined;
  now?: () => number;
  onBatch?: (report: BatchReport) => void;
}

/** How early a poll may be answered: a tenth of its interval, at most 10 s. */
export function pollLeewayMs(pollMs: number): number {
  return Math.min(pollMs / 10, 10_000);
}

class Batch<F, R> {
  readonly lookups = new Map<string, F>();
  /** Syncs answered ahead of their reconcile, with their filter key. */
  readonly ahead = new Map<string, string>();
  /** Syncs whose reconcile waits for this batch. */
  readonly asked = new Set<string>();
  sentAt: number | undefined;
  readonly answer: Promise<Map<string, R>>;
  resolve!: (m: Map<string, R>) => void;
  reject!: (e: unknown) => void;

  constructor() {
    this.answer = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Nobody may be waiting (only syncs answered ahead): their failure is kept, not thrown here.
    this.answer.catch(() => undefined);
  }

  slice(filterKey: string): Promise<R> {
    return this.answer.then(m => {
      if (!m.has(filterKey)) throw new Error(`the batch has no answer for lookup ${filterKey}`);
      return m.get(filterKey)!;
    });
  }
}

interface Group<F, R> {
  open?: Batch<F, R>;
  inFlight: Set<Batch<F, R>>;
  send: SendBatch<F, R>;
}

export class PollBatcher<F, R> {
  private readonly groups = new Map<string, Group<F, R>>();
  /** Every sync seen, with the group and lookup of its last ask. */
  private readonly known = new Map<string, { group: string; member: BatchMember<F> }>();
  /** Answers taken ahead of a sync's reconcile, waiting for it. */
  private readonly answers = new Map<
    string,
    { group: string; filterKey: string; sentAt: number; outcome: Outcome<R> }
  >();
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: PollBatcherOptions) {
    this.windowMs = opts.windowMs ?? 50;
    this.now = opts.now ?? Date.now;
  }

  /**
   * The member's answer from a batch of its group sent at `notBefore` or later: one already taken
   * for it, one being sent that holds its lookup, or the open batch (opened now if none).
   */
  fetch(
    group: string,
    member: BatchMember<F>,
    send: SendBatch<F, R>,
    notBefore: number,
  ): Promise<R> {
    this.known.set(member.name, { group, member });
    let g = this.groups.get(group);
    if (!g) this.groups.set(group, (g = { inFlight: new Set(), send }));
    g.send = send;
    const held = this.answers.get(member.name);
    if (
      held &&
      held.group === group &&
      held.filterKey === member.filterKey &&
      held.sentAt >= notBefore
    ) {
      this.answers.delete(member.name);
      return held.outcome.ok
        ? Promise.resolve(held.outcome.value)
        : Promise.reject(held.outcome.error);
    }
    // A batch on its way that this fetch accepts saves a request; else the open one, or a new one.
    for (const b of g.inFlight)
      if (b.sentAt! >= notBefore && b.lookups.has(member.filterKey)) {
        b.asked.add(member.name);
        return b.slice(member.filterKey);
      }
    if (!g.open) {
      const batch = (g.open = new Batch<F, R>());
      const timer = setTimeout(() => void this.send(group, g!, batch), this.windowMs);
      timer.unref?.();
    }
    const batch = g.open;
    batch.asked.add(member.name);
    batch.lookups.set(member.filterKey, member.filters);
    return batch.slice(member.filterKey);
  }

  /** The sync is gone (or no longer polls here): nothing is kept or fetched for it. */
  forget(name: string): void {
    const k = this.known.get(name);
    this.known.delete(name);
    this.answers.delete(name);
    if (!k) return;
    const g = this.groups.get(k.group);
    const used = [...this.known.values()].some(o => o.group === k.group);
    if (g && !used && !g.open && g.inFlight.size === 0) this.groups.delete(k.group);
  }

  reset(): void {
    this.known.clear();
    this.answers.clear();
    for (const [key, g] of this.groups)
      if (!g.open && g.inFlight.size === 0) this.groups.delete(key);
  }

  /** Syncs and groups held (for tests and metrics). */
  get size(): { syncs: number; groups: number; answers: number } {
    return { syncs: this.known.size, groups: this.groups.size, answers: this.answers.size };
  }

  private async send(group: string, g: Group<F, R>, batch: Batch<F, R>): Promise<void> {
    if (g.open === batch) g.open = undefined;
    const now = this.now();
    batch.sentAt = now;
    this.takeDue(group, g, batch, now);
    g.inFlight.add(batch);
    this.opts.onBatch?.({
      group,
      members: batch.asked.size + batch.ahead.size,
      lookups: batch.lookups.size,
      ahead: batch.ahead.size,
    });
    let outcome: { ok: true; value: Map<string, R> } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await g.send(batch.lookups) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    g.inFlight.delete(batch);
    if (outcome.ok) batch.resolve(outcome.value);
    else batch.reject(outcome.error);
    for (const [name, filterKey] of batch.ahead) {
      // Forgotten meanwhile (deleted, suspended, moved): nothing to keep.
      if (this.known.get(name)?.group !== group) continue;
      const own: Outcome<R> = !outcome.ok
        ? outcome
        : outcome.value.has(filterKey)
          ? { ok: true, value: outcome.value.get(filterKey)! }
          : { ok: false, error: new Error(`the batch has no answer for lookup ${filterKey}`) };
      this.answers.set(name, { group, filterKey, sentAt: now, outcome: own });
    }
  }

  /** Adds the group's syncs whose poll is due (within its leeway) and not yet answered. */
  private takeDue(group: string, g: Group<F, R>, batch: Batch<F, R>, now: number): void {
    for (const [name, k] of this.known) {
      if (k.group !== group || batch.asked.has(name)) continue;
      const due = this.opts.dueOf(name);
      if (!due) continue;
      const from = due.dueAt - pollLeewayMs(due.pollMs);
      if (from > now) continue;
      const held = this.answers.get(name);
      if (held && held.sentAt >= from) continue;
      // Answered by a batch on its way, or its reconcile waits for one.
      if ([...g.inFlight].some(b => b.ahead.has(name) || b.asked.has(name))) continue;
      batch.ahead.set(name, k.member.filterKey);
      batch.lookups.set(k.member.filterKey, k.member.filters);
    }
  }
}
