/** Opaque timer handle: whatever the clock's setTimeout returns. */
export type TimerHandle = unknown;

/** Time and timers, injected so queue behaviour can be tested deterministically. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Node fires timers longer than this (about 24.8 days) after 1ms instead, with only a warning. */
export const MAX_TIMER_MS = 2_147_483_647;

interface SystemTimer {
  current?: ReturnType<typeof setTimeout>;
}

/**
 * Real time. Delays longer than Node supports are waited out in steps, so a 30-day poll interval does
 * not become a 1ms busy loop. Timers are unref'd: a pending requeue must not keep an otherwise
 * finished process alive (the operator's HTTP server keeps it alive in production).
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const handle: SystemTimer = {};
    const arm = (remaining: number): void => {
      const step = Math.min(remaining, MAX_TIMER_MS);
      handle.current = setTimeout(() => (remaining > step ? arm(remaining - step) : fn()), step);
      handle.current.unref?.();
    };
    arm(Math.max(0, ms));
    return handle;
  },
  clearTimeout: handle => clearTimeout((handle as SystemTimer).current),
};
