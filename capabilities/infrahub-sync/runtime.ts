import { Log } from "pepr";
import { infrahubSyncCrd } from "../../crds/sources/infrahubsync";
import { vidraResourceCrd } from "../../crds/sources/vidraresource";
import { holdUntil, shouldInstallCrds, startCrdInstall } from "../lib/crd-install";
import { KubeClient } from "../lib/kube/client";
import { defaultConnection } from "../lib/kube/connection";
import { Operator } from "../lib/operator";
import { OperatorMetrics } from "../lib/metrics";

const metrics = new OperatorMetrics();
let instance: Operator | undefined;

// The watcher (and dev mode) installs the CRDs this build ships, at start-up, retrying until they are
// Established; admission pods and `pepr build` load this file too and must not touch the cluster.
let crdClient: KubeClient | undefined;
const crdInstall = shouldInstallCrds()
  ? startCrdInstall({
      api: () => (crdClient ??= new KubeClient(defaultConnection())),
      crds: [infrahubSyncCrd, vidraResourceCrd],
      logger: Log.child({ component: "crd-install" }),
    })
  : undefined;
void crdInstall?.ready.then(() => crdClient?.close());

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
    if (crdInstall && !crdInstall.done) {
      // Pepr's watches start on their own; reconciling waits for the CRDs (an upgrade may change them).
      const held = (err: unknown) => Log.error({ err }, "a held watch event failed");
      instance.onInfrahubSync = holdUntil(
        crdInstall.ready,
        instance.onInfrahubSync.bind(instance),
        held,
      );
      instance.onVidraResource = holdUntil(
        crdInstall.ready,
        instance.onVidraResource.bind(instance),
        held,
      );
    }
  }
  return instance;
}

operator.metricsText = (): Promise<string> => metrics.text();
