import { Log } from "pepr";
import { defaultConnection } from "../lib/kube/connection";
import { Operator } from "../lib/operator";
import { OperatorMetrics } from "../lib/metrics";

const metrics = new OperatorMetrics();
let instance: Operator | undefined;

/**
 * The operator, built on first use. Watch callbacks only run in the watcher (and in dev mode), so
 * the admission pods, which load the same module, never start queues or open connections.
 */
export function operator(): Operator {
  if (!instance) {
    instance = new Operator({
      connection: defaultConnection(),
      logger: Log.child({ component: "operator" }),
      metrics,
      syncConcurrency: Number(process.env.VIDRA_SYNC_CONCURRENCY ?? 4),
      resourceConcurrency: Number(process.env.VIDRA_RESOURCE_CONCURRENCY ?? 4),
      applyConcurrency: Number(process.env.VIDRA_APPLY_CONCURRENCY ?? 16),
    });
    Log.info({ server: instance.kube.server }, "operator started");
  }
  return instance;
}

operator.metricsText = (): Promise<string> => metrics.text();
