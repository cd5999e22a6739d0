import { mapSettledLimit } from "../concurrency";
import { errorMessage } from "../errors";
import type { Logger } from "../logger";
import type { OverduePoll } from "./poll-schedule";

const keyOf = (o: OverduePoll) => `${o.name}|${o.dueAt}`;

/**
 * Writes the PollOverdue condition once per late poll, a few writes at a time. Each mark is a GET
 * and a status patch; started all at once, a check finding thousands of late polls (5,000 syncs on
 * an Infrahub whose workers cannot keep up) queued thousands of requests in front of every
 * reconcile's, which made the polls later still. A check that comes while the previous check's
 * marks are still being written only forgets what is no longer overdue; the next check marks the rest.
 */
export class OverdueMarks {
  private readonly marked = new Set<string>();
  private writing = false;

  constructor(
    private readonly mark: (o: OverduePoll) => Promise<void>,
    private readonly log: Logger,
    private readonly concurrency = 2,
  ) {}

  async check(overdue: readonly OverduePoll[]): Promise<void> {
    const current = new Set(overdue.map(keyOf));
    for (const k of this.marked) if (!current.has(k)) this.marked.delete(k);
    if (this.writing) return;
    const fresh = overdue.filter(o => !this.marked.has(keyOf(o)));
    if (!fresh.length) return;
    this.writing = true;
    try {
      await mapSettledLimit(fresh, this.concurrency, async o => {
        this.marked.add(keyOf(o));
        try {
          await this.mark(o);
        } catch (err) {
          this.log.warn(
            { infrahubSync: o.name, err: errorMessage(err) },
            "could not mark an overdue poll",
          );
        }
      });
    } finally {
      this.writing = false;
    }
  }
}
