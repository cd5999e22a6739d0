import { Registry } from "prom-client";
import { ControllerMetrics, resultLabel } from "./controller-metrics";
import { ReconcileRecorder } from "./reconcile-recorder";

async function value(registry: Registry, name: string, labels: Record<string, string>) {
  const m = await registry.getSingleMetric(name)!.get();
  return m.values.find(v => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;
}

describe("resultLabel (controller-runtime's result)", () => {
  it.each([
    [false, undefined, "success"],
    [false, {}, "success"],
    [false, { requeueAfterMs: Number.POSITIVE_INFINITY }, "success"],
    [false, { requeueAfterMs: 30_000 }, "requeue_after"],
    [false, { requeueAfterMs: 0 }, "requeue"],
    [true, { requeueAfterMs: 30_000 }, "error"],
    [true, undefined, "error"],
  ] as const)("failed=%s, result %j → %s", (failed, result, label) => {
    expect(resultLabel(failed, result)).toBe(label);
  });
});

describe("ControllerMetrics", () => {
  it("starts every result and the errors at 0, and reads workers at scrape time", async () => {
    const registry = new Registry();
    const m = new ControllerMetrics(registry);
    let active = 0;
    m.register("infrahubsync", { active: () => active, max: () => 8 });
    for (const result of ["success", "error", "requeue", "requeue_after"])
      expect(
        await value(registry, "controller_runtime_reconcile_total", {
          controller: "infrahubsync",
          result,
        }),
      ).toBe(0);
    expect(
      await value(registry, "controller_runtime_reconcile_errors_total", {
        controller: "infrahubsync",
      }),
    ).toBe(0);
    active = 3;
    const text = await registry.metrics();
    expect(text).toContain('controller_runtime_active_workers{controller="infrahubsync"} 3');
    expect(text).toContain(
      'controller_runtime_max_concurrent_reconciles{controller="infrahubsync"} 8',
    );
    // Histograms show once observed (controller-runtime's too).
    expect(text).not.toContain("controller_runtime_reconcile_time_seconds_bucket");
  });
});

describe("ReconcileRecorder", () => {
  function setup() {
    const registry = new Registry();
    const metrics = new ControllerMetrics(registry);
    metrics.register("vidraresource", { active: () => 0, max: () => 1 });
    let t = 0;
    const rec = new ReconcileRecorder(metrics, "vidraresource", () => t);
    const count = (result: string) =>
      value(registry, "controller_runtime_reconcile_total", {
        controller: "vidraresource",
        result,
      });
    return { registry, rec, count, tick: (ms: number) => (t += ms) };
  }

  it("counts results and times each reconcile", async () => {
    const s = setup();
    const handler = s.rec.wrap(async key => {
      s.tick(250);
      return key === "poll" ? { requeueAfterMs: 60_000 } : undefined;
    });
    await handler("poll");
    await handler("once");
    expect(await s.count("requeue_after")).toBe(1);
    expect(await s.count("success")).toBe(1);
    expect(await s.registry.metrics()).toContain(
      'controller_runtime_reconcile_time_seconds_sum{controller="vidraresource"} 0.5',
    );
    // controller-runtime's buckets: 0.2 then 0.25.
    const text = await s.registry.metrics();
    expect(text).toContain('reconcile_time_seconds_bucket{le="0.2",controller="vidraresource"} 0');
    expect(text).toContain('reconcile_time_seconds_bucket{le="0.25",controller="vidraresource"} 2');
  });

  it("counts a thrown error and a failure the reconciler handled itself as errors", async () => {
    const s = setup();
    const throwing = s.rec.wrap(async () => {
      throw new Error("API server down");
    });
    await expect(throwing("a")).rejects.toThrow("API server down");
    const handled = s.rec.wrap(async key => {
      s.rec.failed(key);
      return { requeueAfterMs: 60_000 };
    });
    await expect(handled("b")).resolves.toEqual({ requeueAfterMs: 60_000 });
    expect(await s.count("error")).toBe(2);
    expect(await s.count("requeue_after")).toBe(0);
    expect(
      await value(s.registry, "controller_runtime_reconcile_errors_total", {
        controller: "vidraresource",
      }),
    ).toBe(2);
  });

  it("ignores a failure reported for a key that is not running, and forgets the last run's", async () => {
    const s = setup();
    s.rec.failed("x");
    const handler = s.rec.wrap(async () => undefined);
    await handler("x");
    expect(await s.count("success")).toBe(1);
    const failing = s.rec.wrap(async key => void s.rec.failed(key));
    await failing("y");
    await handler("y");
    expect(await s.count("error")).toBe(1);
    expect(await s.count("success")).toBe(2);
  });
});
