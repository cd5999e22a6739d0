import type { ReconcileResult } from "../queue/types";
import { resultLabel, type ControllerMetrics } from "./controller-metrics";

/**
 * Records controller-runtime's reconcile metrics around one controller's handler. A reconcile is an
 * `error` when the handler throws (retried with backoff) and also when the reconciler reports a
 * failure it handled itself (`failed(key)`: it wrote the failure to status and comes back at its
 * poll interval or when the server said to) — controller-runtime would count only the first, but a
 * dashboard's error ratio must not read 0 while every sync fails on bad credentials.
 */
export class ReconcileRecorder {
  /** Running keys, and whether their reconciler reported a failure. */
  private readonly running = new Map<string, boolean>();

  constructor(
    private readonly metrics: ControllerMetrics,
    readonly controller: string,
    private readonly now: () => number = () => performance.now(),
  ) {}

  wrap(
    handler: (key: string) => Promise<ReconcileResult>,
  ): (key: string) => Promise<ReconcileResult> {
    return async key => {
      const started = this.now();
      this.running.set(key, false);
      let failed = true;
      let result: ReconcileResult = undefined;
      try {
        result = await handler(key);
        failed = this.running.get(key) === true;
        return result;
      } finally {
        this.running.delete(key);
        this.metrics.observe(
          this.controller,
          resultLabel(failed, result),
          (this.now() - started) / 1000,
        );
      }
    };
  }

  /** The reconciler of `key`, running now, failed and handled it without throwing. */
  failed(key: string): void {
    if (this.running.has(key)) this.running.set(key, true);
  }
}
