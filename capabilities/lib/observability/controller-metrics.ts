import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { ReconcileResult } from "../queue/types";

/** controller-runtime's `result` label values. */
export type ReconcileResultLabel = "success" | "error" | "requeue" | "requeue_after";

const RESULTS: ReconcileResultLabel[] = ["success", "error", "requeue", "requeue_after"];

/** controller-runtime's reconcile_time_seconds buckets (5 ms to 60 s), so dashboards' quantiles line up. */
const RECONCILE_TIME_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1,
  1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

/** What the scrape reads from a running controller (its work queue). */
export interface WorkerView {
  /** Handlers running now. */
  active(): number;
  /** The most handlers that may run at once. */
  max(): number;
}

/**
 * controller-runtime's controller metrics (pkg/internal/controller/metrics), same names, labels and
 * meanings, one `controller` label value per kind (lowercase, as controller-runtime names them).
 */
export class ControllerMetrics {
  private readonly views = new Map<string, WorkerView>();

  readonly total: Counter<"controller" | "result">;
  readonly errors: Counter<"controller">;
  readonly time: Histogram<"controller">;
  readonly maxConcurrent: Gauge<"controller">;
  readonly active: Gauge<"controller">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.total = new Counter({
      name: "controller_runtime_reconcile_total",
      help: "Total number of reconciliations per controller",
      labelNames: ["controller", "result"],
      registers,
    });
    this.errors = new Counter({
      name: "controller_runtime_reconcile_errors_total",
      help: "Total number of reconciliation errors per controller",
      labelNames: ["controller"],
      registers,
    });
    this.time = new Histogram({
      name: "controller_runtime_reconcile_time_seconds",
      help: "Length of time per reconciliation per controller",
      labelNames: ["controller"],
      buckets: RECONCILE_TIME_BUCKETS,
      registers,
    });
    const views = this.views;
    this.maxConcurrent = new Gauge({
      name: "controller_runtime_max_concurrent_reconciles",
      help: "Maximum number of concurrent reconciles per controller",
      labelNames: ["controller"],
      registers,
      collect() {
        for (const [controller, v] of views) this.set({ controller }, v.max());
      },
    });
    this.active = new Gauge({
      name: "controller_runtime_active_workers",
      help: "Number of currently used workers per controller",
      labelNames: ["controller"],
      registers,
      collect() {
        for (const [controller, v] of views) this.set({ controller }, v.active());
      },
    });
  }

  /**
   * Starts a controller's series at 0, as controller-runtime does, so rate() and ratios work
   * before the first error or requeue.
   */
  register(controller: string, view: WorkerView): void {
    this.views.set(controller, view);
    for (const result of RESULTS) this.total.inc({ controller, result }, 0);
    this.errors.inc({ controller }, 0);
  }

  /** Records one reconcile. */
  observe(controller: string, result: ReconcileResultLabel, seconds: number): void {
    this.total.inc({ controller, result });
    if (result === "error") this.errors.inc({ controller });
    this.time.observe({ controller }, seconds);
  }
}

/**
 * controller-runtime's result of a reconcile: `error` when it failed (see ReconcileRecorder),
 * `requeue_after` when it asked to run again after a delay (a periodic poll does), `requeue` when
 * it asked to run again at once, else `success`.
 */
export function resultLabel(failed: boolean, result: ReconcileResult): ReconcileResultLabel {
  if (failed) return "error";
  const after = result?.requeueAfterMs;
  if (after === undefined || !Number.isFinite(after)) return "success";
  return after > 0 ? "requeue_after" : "requeue";
}
