import { OperatorError } from "../errors";
import { flush, queueHarness } from "./queue-harness";

const transient = (): Error => new Error("connection reset");
const terminal = (): OperatorError =>
  new OperatorError("manifest is invalid", { reason: "InvalidManifest", retryable: false });

describe("WorkQueue: failures", () => {
  it("retries a failing key without a new event, doubling the delay up to the max", async () => {
    const h = queueHarness({ baseDelayMs: 1_000, maxDelayMs: 5_000 });
    h.queue.add("a");
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 5; attempt++) {
      h.last("a").reject(transient());
      await h.queue.idle();
      expect(h.queue.failures("a")).toBe(attempt);
      expect(h.queue.delayedCount).toBe(1);
      const delay = h.clock.nextAt! - h.clock.now();
      delays.push(delay);
      h.clock.advance(delay - 1);
      expect(h.calls).toHaveLength(attempt);
      h.clock.advance(1);
      expect(h.calls).toHaveLength(attempt + 1);
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
    expect(h.events.filter(e => e.type === "retry-scheduled").map(e => e.delayMs)).toEqual(delays);
  });

  it("resets the failure count on success", async () => {
    const h = queueHarness();
    h.queue.add("a");
    h.last("a").reject(transient());
    await h.queue.idle();
    h.clock.advance(1_000);
    h.last("a").resolve();
    await h.queue.idle();
    expect(h.queue.failures("a")).toBe(0);
    expect(h.queue.delayedCount).toBe(0);
  });

  it("applies jitter to failure delays", async () => {
    const h = queueHarness({ jitter: 0.2, random: () => 0 });
    h.queue.add("a");
    h.last("a").reject(transient());
    await h.queue.idle();
    expect(h.clock.nextAt! - h.clock.now()).toBe(800);
  });

  it("does not retry a non-retryable OperatorError, logs it, and runs on the next add", async () => {
    const h = queueHarness();
    h.queue.add("a");
    h.last("a").reject(terminal());
    await h.queue.idle();
    expect(h.queue.delayedCount).toBe(0);
    expect(h.queue.failures("a")).toBe(1);
    h.clock.advance(3_600_000);
    expect(h.calls).toHaveLength(1);
    const logged = h.logs.find(l => l.level === "error");
    expect(logged?.fields).toMatchObject({
      key: "a",
      reason: "InvalidManifest",
      error: "manifest is invalid",
    });
    h.queue.add("a");
    expect(h.calls).toHaveLength(2);
  });

  it("logs retryable failures as warnings with the retry delay", async () => {
    const h = queueHarness();
    h.queue.add("a");
    h.last("a").reject(transient());
    await h.queue.idle();
    expect(h.logs.find(l => l.level === "warn")?.fields).toMatchObject({
      component: "work-queue",
      key: "a",
      failures: 1,
      error: "connection reset",
      retryInMs: 1_000,
    });
  });

  it("forget() resets the failure count so the next retry uses the base delay", async () => {
    const h = queueHarness();
    h.queue.add("a");
    for (let i = 0; i < 3; i++) {
      h.last("a").reject(transient());
      await h.queue.idle();
      h.clock.advance(h.clock.nextAt! - h.clock.now());
    }
    expect(h.queue.failures("a")).toBe(3);
    h.queue.forget("a");
    expect(h.queue.failures("a")).toBe(0);
    h.last("a").reject(transient());
    await h.queue.idle();
    expect(h.clock.nextAt! - h.clock.now()).toBe(1_000);
  });

  it("re-runs at once, scheduling no retry, when the key was added during a failing run", async () => {
    const h = queueHarness();
    h.queue.add("a");
    h.queue.add("a");
    h.last("a").reject(transient());
    await flush();
    expect(h.calls).toHaveLength(2);
    expect(h.queue.delayedCount).toBe(0);
    h.last("a").reject(transient());
    await h.queue.idle();
    expect(h.queue.failures("a")).toBe(2);
    expect(h.clock.nextAt! - h.clock.now()).toBe(2_000);
  });
});

describe("WorkQueue: delays", () => {
  it("requeueAfterMs schedules the next run (the poll)", async () => {
    const h = queueHarness();
    h.queue.add("a");
    h.last("a").resolve({ requeueAfterMs: 60_000 });
    await h.queue.idle();
    expect(h.queue.delayedCount).toBe(1);
    expect(h.queue.depth).toBe(0);
    h.clock.advance(59_999);
    expect(h.calls).toHaveLength(1);
    h.clock.advance(1);
    expect(h.calls).toHaveLength(2);
    expect(h.eventTypes("a")).toContain("requeue-scheduled");
    expect(h.events.find(e => e.type === "requeue-scheduled")?.delayMs).toBe(60_000);
  });

  it("runs again at once for requeueAfterMs of 0 or less (a handler that is late stays polled)", async () => {
    const h = queueHarness();
    h.queue.add("a");
    h.queue.addAfter("a", 5_000);
    h.last("a").resolve({ requeueAfterMs: 0 });
    await flush();
    expect(h.keys()).toEqual(["a", "a"]);
    expect(h.queue.delayedCount).toBe(0);
    h.last("a").resolve({ requeueAfterMs: -5 });
    await flush();
    expect(h.keys()).toEqual(["a", "a", "a"]);
    h.last("a").resolve();
    await h.queue.idle();
    expect(h.events.filter(e => e.type === "requeue-scheduled").map(e => e.delayMs)).toEqual([
      5_000, 0, 0,
    ]);
  });

  it("schedules nothing for an undefined or non-finite requeueAfterMs", async () => {
    const h = queueHarness();
    for (const requeueAfterMs of [undefined, Number.NaN, Number.POSITIVE_INFINITY]) {
      h.queue.add("a");
      h.last("a").resolve({ requeueAfterMs });
      await h.queue.idle();
    }
    h.queue.addAfter("b", Number.POSITIVE_INFINITY);
    expect(h.queue.delayedCount).toBe(0);
    h.clock.advance(1e12);
    expect(h.keys()).toEqual(["a", "a", "a"]);
  });

  it("keeps the earliest of several delayed adds", () => {
    const h = queueHarness();
    h.queue.addAfter("a", 5_000);
    h.queue.addAfter("a", 1_000);
    h.queue.addAfter("a", 3_000);
    expect(h.queue.delayedCount).toBe(1);
    h.clock.advance(1_000);
    expect(h.calls).toHaveLength(1);
    expect(h.queue.delayedCount).toBe(0);
    h.clock.advance(10_000);
    expect(h.calls).toHaveLength(1);
  });

  it("keeps an earlier delayed add over a later requeue or retry", async () => {
    const h = queueHarness();
    h.queue.add("a");
    h.queue.addAfter("a", 500);
    h.last("a").resolve({ requeueAfterMs: 60_000 });
    await h.queue.idle();
    expect(h.clock.nextAt! - h.clock.now()).toBe(500);
    h.clock.advance(500);
    h.queue.addAfter("a", 200);
    h.last("a").reject(transient());
    await h.queue.idle();
    expect(h.clock.nextAt! - h.clock.now()).toBe(200);
    expect(h.queue.delayedCount).toBe(1);
  });

  it("lets a requeue replace a later pending delay", async () => {
    const h = queueHarness();
    h.queue.add("a");
    h.queue.addAfter("a", 60_000);
    h.last("a").resolve({ requeueAfterMs: 1_000 });
    await h.queue.idle();
    expect(h.queue.delayedCount).toBe(1);
    expect(h.clock.nextAt! - h.clock.now()).toBe(1_000);
  });

  it("add() during a pending delay runs now and cancels the delay", () => {
    const h = queueHarness();
    h.queue.addAfter("a", 5_000);
    h.queue.add("a");
    expect(h.calls).toHaveLength(1);
    expect(h.queue.delayedCount).toBe(0);
    h.clock.advance(5_000);
    expect(h.calls).toHaveLength(1);
  });

  it("add() during a failure backoff runs now", async () => {
    const h = queueHarness();
    h.queue.add("a");
    h.last("a").reject(transient());
    await h.queue.idle();
    expect(h.queue.delayedCount).toBe(1);
    h.queue.add("a");
    expect(h.calls).toHaveLength(2);
    expect(h.queue.delayedCount).toBe(0);
  });

  it("ignores addAfter for a key that is already waiting or due to re-run", () => {
    const h = queueHarness();
    h.queue.add("busy");
    h.queue.add("a");
    h.queue.addAfter("a", 1_000);
    h.queue.add("busy");
    h.queue.addAfter("busy", 1_000);
    expect(h.queue.delayedCount).toBe(0);
    expect(h.eventTypes("a")).toEqual(["added", "coalesced"]);
  });

  it("addAfter with no delay is an add", () => {
    const h = queueHarness();
    h.queue.addAfter("a", 0);
    expect(h.calls).toHaveLength(1);
  });

  it("does not count delayed keys as waiting, and idle() does not wait for them", async () => {
    const h = queueHarness();
    h.queue.addAfter("a", 1_000);
    expect(h.queue.depth).toBe(0);
    await h.queue.idle();
    expect(h.calls).toHaveLength(0);
  });

  it("reports durations from the injected clock", async () => {
    const h = queueHarness();
    h.queue.add("a");
    h.clock.advance(250);
    h.last("a").resolve();
    await h.queue.idle();
    expect(h.events.find(e => e.type === "succeeded")?.durationMs).toBe(250);
  });
});
