/**
 * The waiting side of the work queue: which lane (partition) each waiting key waits in, and which
 * key runs next. Each lane is first come first served and runs at most `concurrency` handlers, so
 * keys whose handlers hang on one dependency never take another lane's slots. It keeps two indexes
 * in step (every waiting key with its lane, every lane with its keys in arrival order) and drops a
 * lane once nothing waits or runs in it. It exists apart from work-queue.ts, whose job is each
 * key's life (coalescing, delays, retries), so that the ordering rules and their bookkeeping read
 * in one place.
 */

/** The keys of one partition waiting for a slot, and how many of its handlers run. */
interface Lane {
  waiting: Set<string>;
  running: number;
}

export class Lanes {
  /** Waiting keys and their partition (insertion order = arrival order). */
  private readonly waiting = new Map<string, string>();
  private readonly lanes = new Map<string, Lane>();

  /** `partitionOf`: the lane a key waits in (one lane without it, or when it throws). */
  constructor(private readonly partitionOfKey?: (key: string) => string) {}

  /** Keys waiting for a slot. */
  get size(): number {
    return this.waiting.size;
  }

  has(key: string): boolean {
    return this.waiting.has(key);
  }

  /** Handlers running in a partition. */
  runningIn(partition: string): number {
    return this.lanes.get(partition)?.running ?? 0;
  }

  /** The key waits, at the end of the lane partitionOf names for it now. */
  enqueue(key: string): void {
    const partition = this.partitionOf(key);
    this.waiting.set(key, partition);
    this.lane(partition).waiting.add(key);
  }

  /** Moves a waiting key to the lane partitionOf names now; false when that is its lane already. */
  reroute(key: string): boolean {
    const partition = this.partitionOf(key);
    if (this.waiting.get(key) === partition) return false;
    this.remove(key);
    this.waiting.set(key, partition);
    this.lane(partition).waiting.add(key);
    return true;
  }

  /** The key no longer waits (nothing happens when it did not). */
  remove(key: string): void {
    const partition = this.waiting.get(key);
    if (partition === undefined) return;
    this.waiting.delete(key);
    const lane = this.lanes.get(partition);
    lane?.waiting.delete(key);
    this.dropIfEmpty(partition);
  }

  /** No key waits any more; running handlers keep their slots. */
  removeAll(): void {
    for (const key of [...this.waiting.keys()]) this.remove(key);
  }

  /**
   * Takes a slot for each key that can run now, lane by lane, the first arrived first, and hands it
   * to `start`. `start` may add keys (a lane being filled takes them too).
   */
  fill(concurrency: number, start: (key: string, partition: string) => void): void {
    for (const [partition, lane] of [...this.lanes]) {
      while (lane.running < concurrency && lane.waiting.size > 0) {
        const key = lane.waiting.values().next().value as string;
        lane.waiting.delete(key);
        this.waiting.delete(key);
        lane.running++;
        start(key, partition);
      }
      this.dropIfEmpty(partition);
    }
  }

  /** A handler that ran in the partition finished: its slot is free. */
  release(partition: string): void {
    const lane = this.lanes.get(partition);
    if (lane) lane.running--;
    this.dropIfEmpty(partition);
  }

  private partitionOf(key: string): string {
    if (!this.partitionOfKey) return "";
    try {
      return this.partitionOfKey(key);
    } catch {
      return "";
    }
  }

  private lane(partition: string): Lane {
    let lane = this.lanes.get(partition);
    if (!lane) {
      lane = { waiting: new Set(), running: 0 };
      this.lanes.set(partition, lane);
    }
    return lane;
  }

  private dropIfEmpty(partition: string): void {
    const lane = this.lanes.get(partition);
    if (lane && lane.running === 0 && lane.waiting.size === 0) this.lanes.delete(partition);
  }
}
