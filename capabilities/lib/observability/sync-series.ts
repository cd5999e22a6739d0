import { Gauge, type Registry } from "prom-client";
import { intervalMs } from "../sync/intervals";

/** What the series are read from: an InfrahubSync as its watch delivers it. */
export interface SyncSnapshot {
  metadata?: { name?: string };
  spec?: unknown;
  status?: unknown;
}

/**
 * Per-InfrahubSync series, for alerts such as "sync X has not succeeded for an hour": one series of
 * each gauge per sync this replica reconciles, labelled `name` (InfrahubSync is cluster-scoped, so
 * no namespace). Cardinality is the number of syncs. A sync's series go when it is deleted, leaves
 * this shard or this replica stops leading, so nothing stale is left behind.
 */
export class SyncSeries {
  /** Syncs with series; a late success of a sync already removed recreates nothing. */
  private readonly known = new Set<string>();
  readonly lastSuccess: Gauge<"name">;
  readonly ready: Gauge<"name">;
  readonly suspended: Gauge<"name">;
  readonly pollInterval: Gauge<"name">;
  private readonly gauges: Gauge<"name">[];

  constructor(registry: Registry) {
    const registers = [registry];
    const labelNames = ["name"] as const;
    this.lastSuccess = new Gauge({
      name: "vidra_sync_last_success_timestamp_seconds",
      help: "When the InfrahubSync last fetched from Infrahub successfully (Unix seconds; since this replica started leading).",
      labelNames,
      registers,
    });
    this.ready = new Gauge({
      name: "vidra_sync_ready",
      help: "1 while the InfrahubSync's Ready condition is True, else 0.",
      labelNames,
      registers,
    });
    this.suspended = new Gauge({
      name: "vidra_sync_suspended",
      help: "1 while the InfrahubSync has spec.suspend true, else 0.",
      labelNames,
      registers,
    });
    this.pollInterval = new Gauge({
      name: "vidra_sync_poll_interval_seconds",
      help: "The InfrahubSync's poll interval in seconds (0: polling is off, it fetches on webhooks and sync-now only).",
      labelNames,
      registers,
    });
    this.gauges = [this.lastSuccess, this.ready, this.suspended, this.pollInterval];
  }

  /** A sync this replica reconciles, as last seen; `defaultPollMs` applies without a pollInterval. */
  observe(sync: SyncSnapshot, defaultPollMs: number): void {
    const name = sync.metadata?.name;
    if (!name) return;
    this.known.add(name);
    const spec = (sync.spec ?? {}) as { suspend?: boolean; pollInterval?: string };
    const conditions = (sync.status as { conditions?: Array<{ type?: string; status?: string }> })
      ?.conditions;
    const ready = conditions?.find(c => c.type === "Ready")?.status === "True";
    this.ready.set({ name }, ready ? 1 : 0);
    this.suspended.set({ name }, spec.suspend ? 1 : 0);
    this.pollInterval.set({ name }, intervalMs(spec.pollInterval, defaultPollMs) / 1000);
  }

  /** The sync fetched from Infrahub successfully (its content stored, changed or not). */
  succeeded(name: string, at: number = Date.now()): void {
    if (this.known.has(name)) this.lastSuccess.set({ name }, Math.floor(at / 1000));
  }

  /** The sync is gone or no longer this replica's: its series go. */
  remove(name: string): void {
    if (!this.known.delete(name)) return;
    for (const g of this.gauges) g.remove({ name });
  }

  /** This replica stopped leading: no sync is its to report. */
  clear(): void {
    for (const name of [...this.known]) this.remove(name);
  }

  get size(): number {
    return this.known.size;
  }
}
