import { PollBatcher, pollLeewayMs, type SendBatch } from "./poll-batcher";

type F = { name: string };
type R = string;

/** A batcher whose sends are recorded and answered `answer:<filters>` (or fail while `failing`). */
function setup(opts: { due?: Record<string, { dueAt: number; pollMs: number }> } = {}) {
  let clock = 1_000_000;
  const sends: Array<string[]> = [];
  const state = { failing: undefined as Error | undefined };
  const send: SendBatch<F, R> = async lookups => {
    sends.push([...lookups.keys()].sort());
    await Promise.resolve();
    if (state.failing) throw state.failing;
    return new Map([...lookups].map(([k, f]) => [k, `answer:${f.name}`]));
  };
  const due = opts.due ?? {};
  const batcher = new PollBatcher<F, R>({ windowMs: 5, dueOf: n => due[n], now: () => clock });
  const ask = (group: string, name: string, filter: string, notBefore = clock) =>
    batcher.fetch(group, { name, filterKey: filter, filters: { name: filter } }, send, notBefore);
  return {
    batcher,
    sends,
    state,
    due,
    ask,
    advance: (ms: number) => (clock += ms),
    now: () => clock,
  };
}

describe("PollBatcher", () => {
  it("answers syncs of one group asking within the window with one send, each its own slice", async () => {
    const t = setup();
    const [a, b, c] = await Promise.all([
      t.ask("g", "a", "x"),
      t.ask("g", "b", "y"),
      t.ask("g", "c", "x"),
    ]);
    expect([a, b, c]).toEqual(["answer:x", "answer:y", "answer:x"]);
    // Two syncs with the same lookup share one.
    expect(t.sends).toEqual([["x", "y"]]);
  });

  it("sends one batch per group", async () => {
    const t = setup();
    await Promise.all([t.ask("g1", "a", "x"), t.ask("g2", "b", "x"), t.ask("g1", "c", "y")]);
    expect(t.sends.sort()).toEqual([["x"], ["x", "y"]]);
  });

  it("fails every sync of a failed batch with the same error, and only those", async () => {
    const t = setup();
    t.state.failing = new Error("Infrahub answered 503");
    const inBatch = [t.ask("g1", "a", "x"), t.ask("g1", "b", "y")];
    const results = await Promise.allSettled(inBatch);
    t.state.failing = undefined;
    const other = await t.ask("g2", "c", "x");
    expect(results.map(r => r.status)).toEqual(["rejected", "rejected"]);
    expect(results.map(r => (r as PromiseRejectedResult).reason)).toEqual([
      expect.objectContaining({ message: "Infrahub answered 503" }),
      expect.objectContaining({ message: "Infrahub answered 503" }),
    ]);
    expect(other).toBe("answer:x");
  });

  it("answers a due sync of the group ahead of its reconcile, which then sends nothing", async () => {
    const t = setup();
    // b polled once (so its lookup is known); its next poll is due now.
    await t.ask("g", "b", "y");
    t.advance(60_000);
    t.due.b = { dueAt: t.now(), pollMs: 60_000 };
    await t.ask("g", "a", "x");
    expect(t.sends).toEqual([["y"], ["x", "y"]]);
    expect(t.batcher.size.answers).toBe(1);
    // b's reconcile comes later (it waited for a worker): answered from that batch.
    t.advance(3_000);
    await expect(t.ask("g", "b", "y", t.now() - 3_000 - pollLeewayMs(60_000))).resolves.toBe(
      "answer:y",
    );
    expect(t.sends).toHaveLength(2);
    expect(t.batcher.size.answers).toBe(0);
  });

  it("keeps a failure taken ahead for the sync's own reconcile", async () => {
    const t = setup();
    await t.ask("g", "b", "y");
    t.advance(60_000);
    t.due.b = { dueAt: t.now(), pollMs: 60_000 };
    t.state.failing = new Error("timeout");
    await expect(t.ask("g", "a", "x")).rejects.toThrow("timeout");
    t.state.failing = undefined;
    await expect(t.ask("g", "b", "y", t.now() - 1_000)).rejects.toThrow("timeout");
    expect(t.sends).toHaveLength(2);
  });

  it("does not take syncs whose poll is not yet due, nor forgotten ones", async () => {
    const t = setup();
    await Promise.all([t.ask("g", "b", "y"), t.ask("g", "c", "z")]);
    t.due.b = { dueAt: t.now() + 30_000, pollMs: 60_000 };
    t.due.c = { dueAt: t.now(), pollMs: 60_000 };
    t.batcher.forget("c");
    await t.ask("g", "a", "x");
    expect(t.sends[1]).toEqual(["x"]);
  });

  it("takes a sync due within its leeway (a tenth of the interval)", async () => {
    const t = setup();
    await t.ask("g", "b", "y");
    t.due.b = { dueAt: t.now() + 5_000, pollMs: 60_000 };
    await t.ask("g", "a", "x");
    expect(t.sends[1]).toEqual(["x", "y"]);
  });

  it("never answers a fetch with a batch sent before the answer it accepts", async () => {
    const t = setup();
    await t.ask("g", "b", "y");
    t.due.b = { dueAt: t.now(), pollMs: 60_000 };
    await t.ask("g", "a", "x");
    t.advance(1_000);
    // A webhook arrived after that batch was sent: a new request.
    await expect(t.ask("g", "b", "y", t.now())).resolves.toBe("answer:y");
    expect(t.sends).toHaveLength(3);
  });

  it("lets a fetch join a batch on its way when it accepts its age and holds its lookup", async () => {
    const t = setup();
    let release!: () => void;
    const gate = new Promise<void>(r => (release = r));
    const slow: SendBatch<F, R> = async lookups => {
      t.sends.push([...lookups.keys()]);
      await gate;
      return new Map([...lookups].map(([k]) => [k, `slow:${k}`]));
    };
    const first = t.batcher.fetch(
      "g",
      { name: "a", filterKey: "x", filters: { name: "x" } },
      slow,
      t.now(),
    );
    await new Promise(r => setTimeout(r, 20));
    expect(t.sends).toEqual([["x"]]);
    const sentAt = t.now();
    t.advance(10);
    const joined = t.batcher.fetch(
      "g",
      { name: "b", filterKey: "x", filters: { name: "x" } },
      slow,
      sentAt,
    );
    const fresh = t.batcher.fetch(
      "g",
      { name: "c", filterKey: "x", filters: { name: "x" } },
      slow,
      t.now(),
    );
    release();
    await expect(Promise.all([first, joined, fresh])).resolves.toEqual([
      "slow:x",
      "slow:x",
      "slow:x",
    ]);
    // b joined the batch on its way; c needed one sent after it asked.
    expect(t.sends).toEqual([["x"], ["x"]]);
  });
});
