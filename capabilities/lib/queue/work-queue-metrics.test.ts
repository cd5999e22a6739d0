import { flush, queueHarness } from "./queue-harness";
import type { WorkQueueMetrics } from "./types";

/** Records what the queue reports, as client-go's workqueue metrics would see it. */
function recorder() {
  const r = { adds: 0, waits: [] as number[], works: [] as number[], delayed: 0 };
  const metrics: WorkQueueMetrics = {
    added: () => void r.adds++,
    started: ms => void r.waits.push(ms),
    finished: ms => void r.works.push(ms),
    delayed: () => void r.delayed++,
  };
  return { r, metrics };
}

describe("WorkQueue metrics (client-go's meanings)", () => {
  it("counts adds that queue a key, not those coalesced into a waiting one", async () => {
    const { r, metrics } = recorder();
    const h = queueHarness({ metrics });
    h.queue.add("busy");
    h.queue.add("a");
    h.queue.add("a");
    expect(r.adds).toBe(2);
    h.last("busy").resolve();
    await flush();
    h.last("a").resolve();
    await h.queue.idle();
    expect(r.adds).toBe(2);
  });

  it("measures the wait from the first add to the start, and the work until the end", async () => {
    const { r, metrics } = recorder();
    const h = queueHarness({ metrics });
    h.queue.add("busy");
    h.clock.advance(100);
    h.queue.add("a");
    h.clock.advance(250);
    h.queue.add("a"); // coalesced: the wait still runs from the first add
    h.clock.advance(50);
    h.last("busy").resolve();
    await flush();
    expect(r.waits).toEqual([0, 300]);
    expect(r.works).toEqual([400]);
    h.clock.advance(70);
    h.last("a").resolve();
    await h.queue.idle();
    expect(r.works).toEqual([400, 70]);
  });

  it("counts an add during a run once, and the rerun's wait from that add", async () => {
    const { r, metrics } = recorder();
    const h = queueHarness({ metrics });
    h.queue.add("a");
    h.clock.advance(10);
    h.queue.add("a");
    h.queue.add("a");
    expect(r.adds).toBe(2);
    h.clock.advance(30);
    h.last("a").resolve();
    await flush();
    expect(r.waits).toEqual([0, 30]);
    h.last("a").resolve();
    await h.queue.idle();
  });

  it("reports running handlers' unfinished work and the longest of them", async () => {
    const h = queueHarness({ concurrency: 2 });
    expect(h.queue.unfinishedWork()).toEqual({ totalMs: 0, longestMs: 0 });
    h.queue.add("a");
    h.clock.advance(1000);
    h.queue.add("b");
    h.clock.advance(500);
    expect(h.queue.unfinishedWork()).toEqual({ totalMs: 2000, longestMs: 1500 });
    h.last("a").resolve();
    await flush();
    expect(h.queue.unfinishedWork()).toEqual({ totalMs: 500, longestMs: 500 });
    h.last("b").resolve();
    await h.queue.idle();
    expect(h.queue.unfinishedWork()).toEqual({ totalMs: 0, longestMs: 0 });
  });

  it("counts delayed runs: requeue after a delay, at once, and retries with backoff", async () => {
    const { r, metrics } = recorder();
    const h = queueHarness({ metrics });
    h.queue.add("a");
    h.last("a").resolve({ requeueAfterMs: 5_000 });
    await flush();
    expect(r.delayed).toBe(1);
    h.clock.advance(5_000);
    expect(r.adds).toBe(2); // the timer's add counts, as client-go's
    h.last("a").resolve({ requeueAfterMs: 0 });
    await flush();
    expect(r.delayed).toBe(2);
    expect(r.adds).toBe(3);
    h.last("a").reject(new Error("boom"));
    await flush();
    expect(r.delayed).toBe(3);
    await h.queue.shutdown();
  });

  it("forgets the wait of a removed key: re-added later, its wait starts again", async () => {
    const { r, metrics } = recorder();
    const h = queueHarness({ metrics });
    h.queue.add("busy");
    h.queue.add("a");
    h.clock.advance(1_000);
    h.queue.remove("a");
    h.clock.advance(1_000);
    h.queue.add("a");
    h.clock.advance(20);
    h.last("busy").resolve();
    await flush();
    expect(r.waits).toEqual([0, 20]);
    h.last("a").resolve();
    await h.queue.idle();
  });
});
