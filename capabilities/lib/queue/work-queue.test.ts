import { nullLogger } from "../logger";
import { systemClock } from "./clock";
import { FakeClock } from "./fake-clock";
import { flush, queueHarness } from "./queue-harness";
import { WorkQueue } from "./work-queue";

describe("WorkQueue: running and coalescing", () => {
  it("runs an added key and becomes idle when it finishes", async () => {
    const h = queueHarness();
    h.queue.add("a");
    expect(h.keys()).toEqual(["a"]);
    expect(h.queue.runningCount).toBe(1);
    expect(h.queue.depth).toBe(0);
    const idle = h.queue.idle();
    h.last("a").resolve();
    await idle;
    expect(h.queue.runningCount).toBe(0);
    expect(h.eventTypes("a")).toEqual(["added", "started", "succeeded"]);
    expect(h.queue.delayedCount).toBe(0);
  });

  it("resolves idle() at once when nothing is queued or running", async () => {
    const h = queueHarness();
    await expect(h.queue.idle()).resolves.toBeUndefined();
  });

  it("does not queue a waiting key twice", async () => {
    const h = queueHarness();
    h.queue.add("busy");
    h.queue.add("a");
    h.queue.add("a");
    h.queue.add("a");
    expect(h.queue.depth).toBe(1);
    h.last("busy").resolve();
    await flush();
    h.last("a").resolve();
    await h.queue.idle();
    expect(h.keys()).toEqual(["busy", "a"]);
    expect(h.eventTypes("a")).toEqual(["added", "coalesced", "coalesced", "started", "succeeded"]);
  });

  it("runs a key added while running exactly once more, after the current run", async () => {
    const h = queueHarness({ concurrency: 4 });
    h.queue.add("a");
    h.queue.add("a");
    h.queue.add("a");
    expect(h.keys()).toEqual(["a"]);
    h.last("a").resolve();
    await flush();
    expect(h.keys()).toEqual(["a", "a"]);
    h.last("a").resolve();
    await h.queue.idle();
    expect(h.keys()).toEqual(["a", "a"]);
    expect(h.maxActivePerKey()).toBe(1);
    expect(h.eventTypes("a")).toEqual([
      "added",
      "started",
      "added",
      "coalesced",
      "succeeded",
      "started",
      "succeeded",
    ]);
  });

  it("never runs one key twice at once, even with free slots", async () => {
    const h = queueHarness({ concurrency: 8 });
    for (let round = 0; round < 5; round++) {
      h.queue.add("a");
      h.queue.add("b");
      h.queue.add("a");
      h.calls.filter(c => c.key === "a").forEach(c => c.resolve());
      await flush();
    }
    while (h.queue.runningCount > 0) {
      h.calls.forEach(c => c.resolve());
      await flush();
    }
    expect(h.maxActivePerKey()).toBe(1);
  });

  it("runs different keys concurrently up to the bound, first come first served", async () => {
    const h = queueHarness({ concurrency: 2 });
    for (const k of ["a", "b", "c", "d", "e"]) h.queue.add(k);
    expect(h.keys()).toEqual(["a", "b"]);
    expect(h.queue.depth).toBe(3);
    h.last("b").resolve();
    await flush();
    expect(h.keys()).toEqual(["a", "b", "c"]);
    h.last("a").resolve();
    h.last("c").resolve();
    await flush();
    expect(h.keys()).toEqual(["a", "b", "c", "d", "e"]);
    h.last("d").resolve();
    h.last("e").resolve();
    await h.queue.idle();
    expect(h.maxActive()).toBe(2);
  });

  it("puts a key re-added during its run at the back of the line", async () => {
    const h = queueHarness();
    h.queue.add("a");
    h.queue.add("b");
    h.queue.add("a");
    h.queue.add("c");
    for (let i = 0; i < 4; i++) {
      h.calls[i].resolve();
      await flush();
    }
    await h.queue.idle();
    expect(h.keys()).toEqual(["a", "b", "c", "a"]);
  });

  it("treats a handler that throws synchronously as a failure", async () => {
    const clock = new FakeClock();
    const q = new WorkQueue(
      () => {
        throw new Error("boom");
      },
      { concurrency: 1, clock, jitter: 0 },
    );
    q.add("a");
    await q.idle();
    expect(q.failures("a")).toBe(1);
    expect(q.delayedCount).toBe(1);
    await q.shutdown();
  });

  it("keeps working when the event hook throws, and logs it", async () => {
    const h = queueHarness({
      onEvent: () => {
        throw new Error("metrics down");
      },
    });
    h.queue.add("a");
    h.last("a").resolve();
    await h.queue.idle();
    expect(h.keys()).toEqual(["a"]);
    expect(h.logs.some(l => l.level === "warn" && l.fields.error === "metrics down")).toBe(true);
  });

  it("refuses a concurrency that is not a positive integer", () => {
    const handler = async (): Promise<void> => undefined;
    expect(() => new WorkQueue(handler, { concurrency: 0 })).toThrow(RangeError);
    expect(() => new WorkQueue(handler, { concurrency: 1.5 })).toThrow(/positive integer/);
  });
});

describe("WorkQueue: remove and shutdown", () => {
  it("remove() drops a waiting key and its pending delay", async () => {
    const h = queueHarness();
    h.queue.add("busy");
    h.queue.add("a");
    h.queue.addAfter("b", 5_000);
    h.queue.remove("a");
    h.queue.remove("b");
    expect(h.queue.depth).toBe(0);
    expect(h.queue.delayedCount).toBe(0);
    h.last("busy").resolve();
    await h.queue.idle();
    h.clock.advance(10_000);
    await h.queue.idle();
    expect(h.keys()).toEqual(["busy"]);
  });

  it("remove() lets a running handler finish but schedules nothing after it", async () => {
    const h = queueHarness();
    h.queue.add("a");
    h.queue.add("a");
    h.queue.remove("a");
    h.last("a").resolve({ requeueAfterMs: 1_000 });
    await h.queue.idle();
    expect(h.queue.delayedCount).toBe(0);
    h.queue.add("b");
    h.last("b").reject(new Error("gone"));
    h.queue.remove("b");
    await h.queue.idle();
    expect(h.queue.delayedCount).toBe(0);
    expect(h.queue.failures("b")).toBe(0);
    expect(h.keys()).toEqual(["a", "b"]);
  });

  it("an add() after remove() during a run brings the key back", async () => {
    const h = queueHarness();
    h.queue.add("a");
    h.queue.remove("a");
    h.queue.add("a");
    h.last("a").resolve();
    await flush();
    h.last("a").resolve();
    await h.queue.idle();
    expect(h.keys()).toEqual(["a", "a"]);
  });

  it("clear() drops every key, waiting, delayed, failing or running, and keeps accepting adds", async () => {
    const h = queueHarness();
    h.queue.add("running");
    h.queue.add("waiting");
    h.queue.addAfter("delayed", 5_000);
    h.queue.clear();
    expect(h.queue.depth).toBe(0);
    expect(h.queue.delayedCount).toBe(0);
    h.last("running").reject(new Error("refused: not the leader"));
    await h.queue.idle();
    h.clock.advance(600_000);
    await flush();
    expect(h.keys()).toEqual(["running"]);
    expect(h.queue.delayedCount).toBe(0);
    h.queue.add("again");
    h.last("again").resolve();
    await h.queue.idle();
    expect(h.keys()).toEqual(["running", "again"]);
  });

  it("shutdown() waits for running handlers, drops waiting keys and delays, and ignores new adds", async () => {
    const h = queueHarness();
    h.queue.add("a");
    h.queue.add("b");
    h.queue.addAfter("c", 1_000);
    h.queue.add("a");
    let done = false;
    const stopped = h.queue.shutdown().then(() => {
      done = true;
    });
    h.queue.add("d");
    h.queue.addAfter("e", 10);
    await flush();
    expect(done).toBe(false);
    expect(h.queue.depth).toBe(0);
    expect(h.queue.delayedCount).toBe(0);
    h.last("a").resolve({ requeueAfterMs: 10 });
    await stopped;
    h.clock.advance(5_000);
    await flush();
    expect(h.keys()).toEqual(["a"]);
    expect(h.queue.delayedCount).toBe(0);
  });
});

describe("WorkQueue with real timers", () => {
  // Tiny real delays; generous Jest timeouts, no assertions on elapsed time.
  it("retries a failing key by itself until it succeeds", async () => {
    let attempts = 0;
    let succeeded!: () => void;
    const done = new Promise<void>(resolve => (succeeded = resolve));
    const q = new WorkQueue(
      async () => {
        attempts++;
        if (attempts < 3) throw new Error(`attempt ${attempts} failed`);
        succeeded();
      },
      { concurrency: 1, baseDelayMs: 2, maxDelayMs: 10, clock: systemClock, logger: nullLogger },
    );
    q.add("a");
    await done;
    await q.idle();
    expect(attempts).toBe(3);
    expect(q.failures("a")).toBe(0);
    await q.shutdown();
  }, 30_000);

  it("polls through requeueAfterMs and stops when the key is removed", async () => {
    let runs = 0;
    let third!: () => void;
    const reachedThree = new Promise<void>(resolve => (third = resolve));
    const q = new WorkQueue(
      async () => {
        if (++runs === 3) third();
        return { requeueAfterMs: 3 };
      },
      { concurrency: 2 },
    );
    q.add("poll");
    await reachedThree;
    q.remove("poll");
    await q.idle();
    const after = runs;
    await new Promise(resolve => setTimeout(resolve, 30));
    expect(runs).toBe(after);
    expect(q.delayedCount).toBe(0);
    await q.shutdown();
  }, 30_000);
});

describe("WorkQueue: partitions (bulkheads)", () => {
  const byPrefix = (key: string) => key.split("/")[0];

  it("gives each partition its own slots: a full partition does not hold up another", async () => {
    const h = queueHarness({ concurrency: 2, partitionOf: byPrefix });
    for (const k of ["slow/1", "slow/2", "slow/3", "slow/4", "fast/1"]) h.queue.add(k);
    // Two slow keys run, two wait; the fast key has a partition of its own and runs at once.
    expect(h.keys()).toEqual(["slow/1", "slow/2", "fast/1"]);
    expect(h.queue.runningIn("slow")).toBe(2);
    expect(h.queue.runningIn("fast")).toBe(1);
    expect(h.queue.depth).toBe(2);
    h.last("fast/1").resolve();
    await flush();
    h.queue.add("fast/2");
    expect(h.keys()).toEqual(["slow/1", "slow/2", "fast/1", "fast/2"]);
    // A finished slow key frees a slow slot, for the next slow key in arrival order.
    h.last("slow/2").resolve();
    await flush();
    expect(h.keys().slice(4)).toEqual(["slow/3"]);
    expect(h.queue.runningIn("slow")).toBe(2);
  });

  it("keeps one key to one handler at a time when its partition changes", async () => {
    let partition = "a";
    const h = queueHarness({ concurrency: 4, partitionOf: () => partition });
    h.queue.add("k");
    partition = "b";
    h.queue.add("k");
    expect(h.keys()).toEqual(["k"]);
    h.last("k").resolve();
    await flush();
    // The second run waits for the first and then runs in the new partition.
    expect(h.keys()).toEqual(["k", "k"]);
    expect(h.queue.runningIn("b")).toBe(1);
    expect(h.queue.runningIn("a")).toBe(0);
    expect(h.maxActivePerKey()).toBe(1);
    h.last("k").resolve();
    await h.queue.idle();
  });

  it("moves a waiting key to the partition it names when added again", async () => {
    let lane = "busy";
    const h = queueHarness({
      concurrency: 1,
      partitionOf: k => (k === "moving" ? lane : byPrefix(k)),
    });
    for (const k of ["busy/1", "busy/2", "moving", "free/1"]) h.queue.add(k);
    expect(h.keys()).toEqual(["busy/1", "free/1"]);
    h.last("free/1").resolve();
    await flush();
    // Its partition changed while it waited behind busy/2: the add moves it to the free slot.
    lane = "free";
    h.queue.add("moving");
    expect(h.keys()).toEqual(["busy/1", "free/1", "moving"]);
    expect(h.queue.runningIn("free")).toBe(1);
    expect(h.queue.depth).toBe(1);
    h.calls.forEach(c => c.resolve());
    await flush();
    h.calls.forEach(c => c.resolve());
    await h.queue.idle();
    expect(h.keys()).toEqual(["busy/1", "free/1", "moving", "busy/2"]);
  });

  it("counts depth over every partition and forgets empty partitions", async () => {
    const h = queueHarness({ concurrency: 1, partitionOf: byPrefix });
    for (const k of ["x/1", "x/2", "y/1", "y/2", "z/1"]) h.queue.add(k);
    expect(h.queue.runningCount).toBe(3);
    expect(h.queue.depth).toBe(2);
    h.queue.remove("x/2");
    expect(h.queue.depth).toBe(1);
    while (h.queue.runningCount > 0) {
      h.calls.forEach(c => c.resolve());
      await flush();
    }
    await h.queue.idle();
    expect(h.keys().sort()).toEqual(["x/1", "y/1", "y/2", "z/1"]);
    for (const p of ["x", "y", "z"]) expect(h.queue.runningIn(p)).toBe(0);
    expect((h.queue as unknown as { lanes: Map<string, unknown> }).lanes.size).toBe(0);
  });

  it("treats a throwing partitionOf as the default partition", async () => {
    const h = queueHarness({
      concurrency: 1,
      partitionOf: () => {
        throw new Error("no address");
      },
    });
    h.queue.add("a");
    h.queue.add("b");
    expect(h.keys()).toEqual(["a"]);
    expect(h.queue.runningIn("")).toBe(1);
    h.last("a").resolve();
    await flush();
    expect(h.keys()).toEqual(["a", "b"]);
  });
});
