import type { Clock, TimerHandle } from "./clock";

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A manual clock for tests: time moves only through `advance`, which runs due timers in time order
 * (ties in the order they were set), including timers set by those timers.
 */
export class FakeClock implements Clock {
  private time: number;
  private nextId = 1;
  private timers: Timer[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.time + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter(t => t.id !== handle);
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.timers.length;
  }

  /** When the next timer fires, or undefined. */
  get nextAt(): number | undefined {
    return this.timers.length ? Math.min(...this.timers.map(t => t.at)) : undefined;
  }

  /** Moves time forward without firing anything, as a paused (SIGSTOP'd) process experiences it. */
  jump(ms: number): void {
    this.time += ms;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers
        .filter(t => t.at <= end)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter(t => t !== due);
      this.time = due.at;
      due.fn();
    }
    this.time = end;
  }
}
