import type { Exchange } from "./http-io";
import type { RequestLogEntry } from "./types";

/** Per-endpoint request counts and a bounded ring of the latest requests, oldest first. */
export class RequestLog {
  private readonly counts = new Map<string, number>();
  private readonly ring: RequestLogEntry[] = [];
  private next = 0;

  constructor(private readonly capacity = 1000) {}

  count(endpoint: string): void {
    this.counts.set(endpoint, (this.counts.get(endpoint) ?? 0) + 1);
  }

  /** `path` keeps the query string; `status` is 0 when nothing was sent. */
  record(ex: Exchange, status: number): void {
    const entry: RequestLogEntry = {
      method: ex.method,
      path: ex.req.url ?? ex.path,
      endpoint: ex.endpoint,
      status,
      headers: ex.headers(),
    };
    if (this.ring.length < this.capacity) this.ring.push(entry);
    else this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
  }

  entries(): RequestLogEntry[] {
    return this.ring.length < this.capacity
      ? this.ring.slice()
      : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }

  countsByEndpoint(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  /** Clears both the counts and the ring. */
  reset(): void {
    this.counts.clear();
    this.ring.length = 0;
    this.next = 0;
  }
}
