import { FakeClock } from "../queue/fake-clock";
import { LeaderElector, microTime, NotLeaderError, timingsProblem } from "./elector";
import type { LeaderLock, LeaderRecord, ObservedRecord } from "./lease-lock";

/** One Lease shared by several candidates; each gets a view that can be cut off. */
class FakeLeaseStore {
  record?: LeaderRecord;
  rv = 0;
  writes: Array<{ by: string; record: LeaderRecord }> = [];

  view(name: string): LeaderLock & { down: boolean } {
    return leaseView(this, name);
  }
}

function leaseView(store: FakeLeaseStore, name: string): LeaderLock & { down: boolean } {
  const snap = (): ObservedRecord | undefined =>
    store.record ? { record: { ...store.record }, resourceVersion: String(store.rv) } : undefined;
  return {
    down: false,
    describe: () => "test/lease",
    async get() {
      if (this.down) throw new Error("unreachable");
      return snap();
    },
    async create(record) {
      if (this.down) throw new Error("unreachable");
      if (store.record) return undefined;
      store.record = { ...record };
      store.rv++;
      store.writes.push({ by: name, record });
      return snap();
    },
    async update(record, rv) {
      if (this.down) throw new Error("unreachable");
      if (String(store.rv) !== rv) return undefined;
      store.record = { ...record };
      store.rv++;
      store.writes.push({ by: name, record });
      return snap();
    },
  };
}

const settle = () => new Promise(r => setImmediate(r));

/** Moves fake time timer by timer, letting the lock's answers arrive before the next one. */
async function run(clock: FakeClock, ms: number): Promise<void> {
  const end = clock.now() + ms;
  for (;;) {
    await settle();
    const next = clock.nextAt;
    if (next === undefined || next > end) break;
    clock.advance(next - clock.now());
  }
  clock.advance(end - clock.now());
  await settle();
}

function candidate(store: FakeLeaseStore, clock: FakeClock, id: string) {
  const lock = store.view(id);
  const events: string[] = [];
  const elector = new LeaderElector({
    lock,
    identity: id,
    clock,
    random: () => 0.5,
    onStartedLeading: () => events.push("started"),
    onStoppedLeading: reason => events.push(`stopped: ${reason}`),
  });
  return { lock, events, elector };
}

test("the first candidate takes a free lease at once and renews it every retry period", async () => {
  const clock = new FakeClock(1_000_000);
  const store = new FakeLeaseStore();
  const a = candidate(store, clock, "a");
  a.elector.start();
  await run(clock, 100);
  expect(a.events).toEqual(["started"]);
  expect(a.elector.isLeader()).toBe(true);
  expect(store.record).toMatchObject({
    holderIdentity: "a",
    leaseDurationSeconds: 15,
    leaseTransitions: 0,
  });
  const before = store.writes.length;
  await run(clock, 10_000);
  // One renewal per 2 s.
  expect(store.writes.length - before).toBe(5);
  expect(a.elector.isLeader()).toBe(true);
});

test("a standby waits for the lease to expire by its own clock, then takes it over", async () => {
  const clock = new FakeClock(0);
  const store = new FakeLeaseStore();
  const a = candidate(store, clock, "a");
  const b = candidate(store, clock, "b");
  a.elector.start();
  await run(clock, 100);
  b.elector.start();
  await run(clock, 30_000);
  expect(b.events).toEqual([]);
  expect(b.elector.isLeader()).toBe(false);
  expect(b.elector.leader).toBe("a");

  // The leader dies: its renewals stop (no release).
  a.lock.down = true;
  const diedAt = clock.now();
  let tookOverAt: number | undefined;
  for (let i = 0; i < 300 && tookOverAt === undefined; i++) {
    await run(clock, 100);
    if (b.elector.isLeader()) tookOverAt = clock.now();
  }
  expect(tookOverAt).toBeDefined();
  // No earlier than the lease duration after the last renewal it saw, within one jittered retry of it.
  expect(tookOverAt! - diedAt).toBeGreaterThanOrEqual(15_000 - 2_000);
  expect(tookOverAt! - diedAt).toBeLessThanOrEqual(15_000 + 2_000 * 2.2 + 200);
  expect(store.record).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
  // The old leader's fence closed long before: renewDeadline after its last renewal.
  expect(a.elector.isLeader()).toBe(false);
  expect(a.events).toEqual(["started", "stopped: the renew deadline passed without a renewal"]);
});

test("a leader that cannot renew stops at the renew deadline, before the lease expires for others", async () => {
  const clock = new FakeClock(0);
  const store = new FakeLeaseStore();
  const a = candidate(store, clock, "a");
  a.elector.start();
  await run(clock, 100);
  a.lock.down = true;
  const cutAt = clock.now();
  let stoppedAt: number | undefined;
  for (let i = 0; i < 200 && stoppedAt === undefined; i++) {
    await run(clock, 100);
    if (a.events.length > 1) stoppedAt = clock.now();
  }
  expect(stoppedAt! - cutAt).toBeLessThanOrEqual(10_000);
  expect(() => a.elector.fence()).toThrow(NotLeaderError);
});

test("a paused leader's fence closes on its first check after resuming, before any timer runs", async () => {
  const clock = new FakeClock(0);
  const store = new FakeLeaseStore();
  const a = candidate(store, clock, "a");
  a.elector.start();
  await run(clock, 100);
  expect(a.elector.isLeader()).toBe(true);
  // SIGSTOP: time passes, nothing runs. Simulated by moving the clock without firing timers.
  clock.jump(20_000);
  expect(a.elector.isLeader()).toBe(false);
  expect(a.events).toEqual(["started", "stopped: the renew deadline passed without a renewal"]);
  expect(() => a.elector.fence()).toThrow(/not the leader/);
});

test("a leader that finds another holder in the record stops at once", async () => {
  const clock = new FakeClock(0);
  const store = new FakeLeaseStore();
  const a = candidate(store, clock, "a");
  a.elector.start();
  await run(clock, 100);
  // Someone took the lease (as after a long pause); the next renewal sees it.
  store.record = { ...store.record!, holderIdentity: "b", renewTime: microTime(new Date()) };
  store.rv++;
  await run(clock, 2_100);
  expect(a.elector.isLeader()).toBe(false);
  expect(a.events[1]).toBe("stopped: the lease is held by b");
});

test("two candidates racing for a free lease: exactly one wins", async () => {
  const clock = new FakeClock(0);
  const store = new FakeLeaseStore();
  const a = candidate(store, clock, "a");
  const b = candidate(store, clock, "b");
  a.elector.start();
  b.elector.start();
  await run(clock, 20_000);
  expect([a.elector.isLeader(), b.elector.isLeader()].filter(Boolean)).toHaveLength(1);
});

test("stop() releases the lease so a standby takes over at its next try", async () => {
  const clock = new FakeClock(0);
  const store = new FakeLeaseStore();
  const a = candidate(store, clock, "a");
  const b = candidate(store, clock, "b");
  a.elector.start();
  await run(clock, 100);
  b.elector.start();
  await run(clock, 5_000);
  const stoppedAt = clock.now();
  await a.elector.stop();
  expect(store.record).toMatchObject({ holderIdentity: "", leaseDurationSeconds: 1 });
  let tookOverAt: number | undefined;
  for (let i = 0; i < 100 && tookOverAt === undefined; i++) {
    await run(clock, 100);
    if (b.elector.isLeader()) tookOverAt = clock.now();
  }
  expect(tookOverAt! - stoppedAt).toBeLessThanOrEqual(2_000 * 2.2 + 200);
  expect(a.events).toEqual(["started", "stopped: stopping"]);
});

test("a leader whose renewals fail for less than the renew deadline keeps its term", async () => {
  const clock = new FakeClock(0);
  const store = new FakeLeaseStore();
  const a = candidate(store, clock, "a");
  a.elector.start();
  await run(clock, 100);
  a.lock.down = true;
  await run(clock, 5_000);
  a.lock.down = false;
  await run(clock, 20_000);
  expect(a.events).toEqual(["started"]);
  expect(a.elector.isLeader()).toBe(true);
});

test("a replica that lost its term becomes leader again when the lease is free", async () => {
  const clock = new FakeClock(0);
  const store = new FakeLeaseStore();
  const a = candidate(store, clock, "a");
  a.elector.start();
  await run(clock, 100);
  a.lock.down = true;
  await run(clock, 12_000);
  a.lock.down = false;
  await run(clock, 5_000);
  expect(a.events).toEqual([
    "started",
    "stopped: the renew deadline passed without a renewal",
    "started",
  ]);
});

test("timings are checked as client-go checks them", () => {
  expect(
    timingsProblem({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }),
  ).toBeUndefined();
  expect(
    timingsProblem({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }),
  ).toMatch(/longer than the renew deadline/);
  expect(
    timingsProblem({ leaseDurationMs: 15_000, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }),
  ).toMatch(/1.2/);
  expect(
    () =>
      new LeaderElector({
        lock: new FakeLeaseStore().view("x"),
        identity: "x",
        timings: { renewDeadlineMs: 20_000 },
        onStartedLeading: () => undefined,
        onStoppedLeading: () => undefined,
      }),
  ).toThrow(RangeError);
});

test("MicroTime has six fraction digits", () => {
  expect(microTime(new Date("2025-01-02T03:04:05.678Z"))).toBe("2025-01-02T03:04:05.678000Z");
});
