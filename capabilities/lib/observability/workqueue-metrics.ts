import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { WorkQueueMetrics } from "../queue/types";

/** client-go's workqueue buckets: 10 ns to 1,000 s, one per decade. */
const WORKQUEUE_BUCKETS = Array.from({ length: 12 }, (_, i) => Number(`1e${i - 8}`));

/** What the scrape reads from a running queue. */
export interface QueueView {
  readonly depth: number;
  unfinishedWork(): { totalMs: number; longestMs: number };
}

type Labels = "name" | "controller";

/**
 * client-go's workqueue metrics as controller-runtime registers them (pkg/internal/metrics):
 * labels `name` and `controller`, both the controller's name. Depth and the two running-work gauges
 * are read at scrape time (client-go samples them every 500 ms).
 */
export class WorkqueueMetrics {
  private readonly views = new Map<string, QueueView>();
  readonly depth: Gauge<Labels>;
  readonly adds: Counter<Labels>;
  readonly queueDuration: Histogram<Labels>;
  readonly workDuration: Histogram<Labels>;
  readonly unfinished: Gauge<Labels>;
  readonly longestRunning: Gauge<Labels>;
  readonly retries: Counter<Labels>;

  constructor(registry: Registry) {
    const registers = [registry];
    const labelNames: Labels[] = ["name", "controller"];
    const views = this.views;
    const each = (read: (v: QueueView) => number) =>
      function (this: Gauge<Labels>): void {
        for (const [name, v] of views) this.set({ name, controller: name }, read(v));
      };
    this.depth = new Gauge({
      name: "workqueue_depth",
      help: "Current depth of workqueue",
      labelNames,
      registers,
      collect: each(v => v.depth),
    });
    this.adds = new Counter({
      name: "workqueue_adds_total",
      help: "Total number of adds handled by workqueue",
      labelNames,
      registers,
    });
    this.queueDuration = new Histogram({
      name: "workqueue_queue_duration_seconds",
      help: "How long in seconds an item stays in workqueue before being requested",
      labelNames,
      buckets: WORKQUEUE_BUCKETS,
      registers,
    });
    this.workDuration = new Histogram({
      name: "workqueue_work_duration_seconds",
      help: "How long in seconds processing an item from workqueue takes.",
      labelNames,
      buckets: WORKQUEUE_BUCKETS,
      registers,
    });
    this.unfinished = new Gauge({
      name: "workqueue_unfinished_work_seconds",
      help: "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
      labelNames,
      registers,
      collect: each(v => v.unfinishedWork().totalMs / 1000),
    });
    this.longestRunning = new Gauge({
      name: "workqueue_longest_running_processor_seconds",
      help: "How many seconds has the longest running processor for workqueue been running.",
      labelNames,
      registers,
      collect: each(v => v.unfinishedWork().longestMs / 1000),
    });
    this.retries = new Counter({
      name: "workqueue_retries_total",
      help: "Total number of items added to the workqueue with a delay (retries with backoff, requeues after a delay)",
      labelNames,
      registers,
    });
  }

  /**
   * The hooks for the queue named `name` (WorkQueueOptions.metrics). `view` is read at scrape time;
   * a function, since the queue is built with these hooks.
   */
  forQueue(name: string, view: () => QueueView | undefined): WorkQueueMetrics {
    const labels = { name, controller: name };
    this.views.set(name, {
      get depth() {
        return view()?.depth ?? 0;
      },
      unfinishedWork: () => view()?.unfinishedWork() ?? { totalMs: 0, longestMs: 0 },
    });
    this.adds.inc(labels, 0);
    this.retries.inc(labels, 0);
    return {
      added: () => this.adds.inc(labels),
      started: waitedMs => this.queueDuration.observe(labels, waitedMs / 1000),
      finished: workedMs => this.workDuration.observe(labels, workedMs / 1000),
      delayed: () => this.retries.inc(labels),
    };
  }
}
