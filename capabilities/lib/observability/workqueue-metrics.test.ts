import { Registry } from "prom-client";
import { FakeClock } from "../queue/fake-clock";
import { WorkQueue } from "../queue/work-queue";
import { WorkqueueMetrics } from "./workqueue-metrics";

const flush = () => new Promise(resolve => setImmediate(resolve));

test("a queue's adds, waits, work, retries, depth and running work, labelled as controller-runtime does", async () => {
  const registry = new Registry();
  const wq = new WorkqueueMetrics(registry);
  const clock = new FakeClock(0);
  const release: Array<() => void> = [];
  const queue: WorkQueue = new WorkQueue(
    key =>
      new Promise(resolve =>
        release.push(() => resolve(key === "a" ? { requeueAfterMs: 1_000 } : undefined)),
      ),
    { concurrency: 1, clock, metrics: wq.forQueue("infrahubsync", () => queue) },
  );
  const labels = 'name="infrahubsync",controller="infrahubsync"';
  let text = await registry.metrics();
  expect(text).toContain(`workqueue_adds_total{${labels}} 0`);
  expect(text).toContain(`workqueue_retries_total{${labels}} 0`);

  queue.add("a");
  queue.add("b");
  clock.advance(2_000);
  text = await registry.metrics();
  expect(text).toContain(`workqueue_depth{${labels}} 1`);
  expect(text).toContain(`workqueue_unfinished_work_seconds{${labels}} 2`);
  expect(text).toContain(`workqueue_longest_running_processor_seconds{${labels}} 2`);

  release.shift()!();
  await flush();
  text = await registry.metrics();
  expect(text).toContain(`workqueue_adds_total{${labels}} 2`);
  expect(text).toContain(`workqueue_retries_total{${labels}} 1`);
  expect(text).toContain(`workqueue_depth{${labels}} 0`);
  expect(text).toContain(`workqueue_work_duration_seconds_count{${labels}} 1`);
  expect(text).toContain(`workqueue_work_duration_seconds_sum{${labels}} 2`);
  // "b" waited 2 s: in the 10 s bucket, not the 1 s one.
  expect(text).toContain(`workqueue_queue_duration_seconds_bucket{le="1",${labels}} 1`);
  expect(text).toContain(`workqueue_queue_duration_seconds_bucket{le="10",${labels}} 2`);
  expect(text).toContain(`workqueue_queue_duration_seconds_bucket{le="1e-8",${labels}} 1`);
  release.shift()!();
  await queue.shutdown();
  text = await registry.metrics();
  expect(text).toContain(`workqueue_unfinished_work_seconds{${labels}} 0`);
});
