import { Registry } from "prom-client";
import { SyncSeries } from "./sync-series";

const sync = (name: string, spec: Record<string, unknown> = {}, ready?: string) => ({
  metadata: { name },
  spec,
  status: ready ? { conditions: [{ type: "Ready", status: ready }] } : undefined,
});

async function series(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split("\n").filter(l => l && !l.startsWith("#"));
}

describe("SyncSeries", () => {
  it("reports readiness, suspension, the poll interval and the last success per sync", async () => {
    const registry = new Registry();
    const s = new SyncSeries(registry);
    s.observe(sync("a", { pollInterval: "5m" }, "True"), 60_000);
    s.observe(sync("b", { suspend: true }, "False"), 60_000);
    s.observe(sync("c"), 60_000);
    s.succeeded("a", 1_700_000_000_500);
    expect((await series(registry)).sort()).toEqual(
      [
        'vidra_sync_last_success_timestamp_seconds{name="a"} 1700000000',
        'vidra_sync_ready{name="a"} 1',
        'vidra_sync_ready{name="b"} 0',
        'vidra_sync_ready{name="c"} 0',
        'vidra_sync_suspended{name="a"} 0',
        'vidra_sync_suspended{name="b"} 1',
        'vidra_sync_suspended{name="c"} 0',
        'vidra_sync_poll_interval_seconds{name="a"} 300',
        'vidra_sync_poll_interval_seconds{name="b"} 60',
        'vidra_sync_poll_interval_seconds{name="c"} 60',
      ].sort(),
    );
    expect(s.size).toBe(3);
  });

  it("removes a sync's series, and a late success does not bring them back", async () => {
    const registry = new Registry();
    const s = new SyncSeries(registry);
    s.observe(sync("a", { pollInterval: "0" }, "True"), 60_000);
    s.observe(sync("b", {}, "True"), 60_000);
    s.succeeded("a");
    s.remove("a");
    s.succeeded("a");
    const left = await series(registry);
    expect(left.filter(l => l.includes('name="a"'))).toEqual([]);
    expect(left.filter(l => l.includes('name="b"'))).toHaveLength(3);
    s.succeeded("never-seen");
    expect((await series(registry)).some(l => l.includes("never-seen"))).toBe(false);
    s.clear();
    expect(await series(registry)).toEqual([]);
    expect(s.size).toBe(0);
  });
});
