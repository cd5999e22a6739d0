import { MAX_TIMER_MS, systemClock } from "./clock";

describe("systemClock", () => {
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it("waits out delays longer than Node's timer limit in steps instead of firing at once", () => {
    jest.useFakeTimers();
    const spy = jest.spyOn(global, "setTimeout");
    const fired = jest.fn();
    systemClock.setTimeout(fired, 30 * 24 * 3_600_000);
    jest.advanceTimersByTime(MAX_TIMER_MS);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(30 * 24 * 3_600_000 - MAX_TIMER_MS - 1);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls.every(([, ms]) => (ms ?? 0) <= MAX_TIMER_MS)).toBe(true);
  });

  it("cancels a long timer in any of its steps", () => {
    jest.useFakeTimers();
    const fired = jest.fn();
    const handle = systemClock.setTimeout(fired, MAX_TIMER_MS * 2);
    jest.advanceTimersByTime(MAX_TIMER_MS + 10);
    systemClock.clearTimeout(handle);
    jest.advanceTimersByTime(MAX_TIMER_MS * 2);
    expect(fired).not.toHaveBeenCalled();
  });

  it("fires short timers once", () => {
    jest.useFakeTimers();
    const fired = jest.fn();
    systemClock.setTimeout(fired, 10);
    jest.advanceTimersByTime(10);
    expect(fired).toHaveBeenCalledTimes(1);
  });
});
