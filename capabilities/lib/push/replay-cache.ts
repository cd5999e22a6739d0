/**
 * The webhook-ids seen within the timestamp tolerance. An id older than the tolerance no longer
 * needs remembering: its timestamp alone gets it refused. Bounded in entries too, so a flood of
 * validly signed requests (only possible with the key) cannot grow memory without limit; when full,
 * the oldest id is forgotten first.
 */
export class ReplayCache {
  /** id → when it stops mattering (ms); insertion order is expiry order (the ttl is fixed). */
  private readonly ids = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {
    if (!(maxEntries >= 1)) throw new RangeError("the replay cache needs room for one id");
  }

  get size(): number {
    return this.ids.size;
  }

  /** Records the id; false when it was already seen and has not expired (a replay). */
  remember(id: string, nowMs: number): boolean {
    this.expire(nowMs);
    if (this.ids.has(id)) return false;
    this.ids.set(id, nowMs + this.ttlMs);
    while (this.ids.size > this.maxEntries) this.ids.delete(this.ids.keys().next().value as string);
    return true;
  }

  private expire(nowMs: number): void {
    for (const [id, until] of this.ids) {
      if (until > nowMs) return;
      this.ids.delete(id);
    }
  }
}
