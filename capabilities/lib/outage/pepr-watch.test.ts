import { EventEmitter } from "node:events";
import { applyWatchRetryDefaults, guardWatchGiveUps, isWatchGiveUp } from "./pepr-watch";

describe("Pepr watch retry defaults", () => {
  it("fills in a retry limit that Pepr's parseInt reads as a number no outage reaches", () => {
    const env: NodeJS.ProcessEnv = {};
    const effective = applyWatchRetryDefaults(env);
    expect(env.PEPR_RESYNC_FAILURE_MAX).toBe(String(Number.MAX_SAFE_INTEGER));
    // What pepr/dist/lib.js does with it: a finite number, and at one try per 5 s, 1.4 billion years.
    const parsed = parseInt(env.PEPR_RESYNC_FAILURE_MAX!, 10);
    expect(Number.isSafeInteger(parsed)).toBe(true);
    expect((parsed * 5) / (365 * 24 * 3600)).toBeGreaterThan(1e9);
    expect(effective).toEqual({ PEPR_RESYNC_FAILURE_MAX: env.PEPR_RESYNC_FAILURE_MAX });
  });

  it("leaves a value set in the environment alone", () => {
    const env: NodeJS.ProcessEnv = { PEPR_RESYNC_FAILURE_MAX: "3" };
    applyWatchRetryDefaults(env);
    expect(env.PEPR_RESYNC_FAILURE_MAX).toBe("3");
  });
});

describe("guardWatchGiveUps", () => {
  const giveUp = () =>
    new Error("WatchEvent GiveUp Error: The watch has failed to start after several attempts.", {
      cause: new Error("Retry limit (5) exceeded, giving up"),
    });

  it("recognises Pepr's give-up error only", () => {
    expect(isWatchGiveUp(giveUp())).toBe(true);
    expect(isWatchGiveUp(new Error("something else"))).toBe(false);
    expect(isWatchGiveUp("WatchEvent GiveUp Error")).toBe(false);
  });

  function fakeProcess() {
    const emitter = new EventEmitter();
    const exits: number[] = [];
    const proc = {
      on: emitter.on.bind(emitter),
      off: emitter.off.bind(emitter),
      exit: (code?: number) => void exits.push(code ?? 0),
    } as unknown as Pick<NodeJS.Process, "on" | "off" | "exit">;
    return { emitter, exits, proc };
  }

  it("keeps the process up on a give-up and hands it to onGiveUp", () => {
    const { emitter, exits, proc } = fakeProcess();
    const seen: Error[] = [];
    const remove = guardWatchGiveUps({ onGiveUp: e => seen.push(e) }, proc);
    const err = giveUp();
    emitter.emit("uncaughtException", err);
    expect(seen).toEqual([err]);
    expect(exits).toEqual([]);
    remove();
    expect(emitter.listenerCount("uncaughtException")).toBe(0);
  });

  it("still ends the process on any other uncaught exception", () => {
    const { emitter, exits, proc } = fakeProcess();
    const fatal: unknown[] = [];
    const spy = jest.spyOn(console, "error").mockImplementation(() => undefined);
    guardWatchGiveUps({ onGiveUp: () => undefined, onFatal: e => fatal.push(e) }, proc);
    const boom = new TypeError("boom");
    emitter.emit("uncaughtException", boom);
    expect(fatal).toEqual([boom]);
    expect(exits).toEqual([1]);
    expect(spy).toHaveBeenCalledWith(boom);
    spy.mockRestore();
  });
});
