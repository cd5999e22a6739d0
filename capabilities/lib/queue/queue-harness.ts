import type { LogRecord } from "../logger";
import { recordingLogger } from "../logger";
import { FakeClock } from "./fake-clock";
import type { QueueEvent, ReconcileResult, WorkQueueOptions } from "./types";
import { WorkQueue } from "./work-queue";

/** One handler call that the test finishes when it wants to. */
export interface Call {
  key: string;
  resolve(result?: ReconcileResult): void;
  reject(err: unknown): void;
}

/**
 * Test support for WorkQueue: a fake clock, a handler whose calls the test settles by hand, and
 * records of events, logs and per-key concurrency. Shared by the queue's test files.
 */
export function queueHarness(opts: Partial<WorkQueueOptions> = {}) {
  const clock = new FakeClock(1_000_000);
  const calls: Call[] = [];
  const events: QueueEvent[] = [];
  const logs: LogRecord[] = [];
  const active = new Map<string, number>();
  let maxActivePerKey = 0;
  let maxActive = 0;
  const handler = (key: string): Promise<ReconcileResult> => {
    active.set(key, (active.get(key) ?? 0) + 1);
    maxActivePerKey = Math.max(maxActivePerKey, active.get(key)!);
    maxActive = Math.max(
      maxActive,
      [...active.values()].reduce((a, b) => a + b, 0),
    );
    return new Promise<ReconcileResult>((resolve, reject) => {
      const done = (): void => void active.set(key, active.get(key)! - 1);
      calls.push({
        key,
        resolve: r => {
          done();
          resolve(r);
        },
        reject: e => {
          done();
          reject(e);
        },
      });
    });
  };
  const queue = new WorkQueue(handler, {
    concurrency: 1,
    jitter: 0,
    clock,
    logger: recordingLogger(logs),
    onEvent: e => events.push(e),
    ...opts,
  });
  return {
    queue,
    clock,
    calls,
    events,
    logs,
    keys: (): string[] => calls.map(c => c.key),
    /** The most recent call for `key` (the one a test usually settles). */
    last: (key: string): Call => [...calls].reverse().find(c => c.key === key)!,
    eventTypes: (key: string): string[] => events.filter(e => e.key === key).map(e => e.type),
    maxActivePerKey: (): number => maxActivePerKey,
    maxActive: (): number => maxActive,
  };
}

/** Lets settled handler promises propagate into the queue. */
export function flush(): Promise<void> {
  return new Promise(resolve => setImmediate(resolve));
}
