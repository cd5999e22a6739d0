import { httpsGet } from "../control-plane/https-probe";
import { startOperatorEnv, type OperatorEnv } from "../../tests/support/operator-env";
import type { KubeClient } from "../../capabilities/lib/kube/client";
import type { InfrahubSimulator } from "../infrahub-sim/types";
import type { ControlPlaneOptions } from "../control-plane/control-plane";
import { createInfrahubSecret } from "../../tests/support/operator-client";

/** What every benchmark needs: cluster, simulator, the running module and a fast client. */
export interface BenchEnv {
  kube: KubeClient;
  kubeconfig: string;
  sim: InfrahubSimulator;
  env: OperatorEnv;
  /** An InfrahubSync object reading from the simulator with stored credentials (`source` overrides). */
  syncObject(
    name: string,
    source: Record<string, unknown>,
    spec?: Record<string, unknown>,
  ): Record<string, unknown>;
  /** Creates or updates an InfrahubSync reading from the simulator with stored credentials. */
  applySync(name: string, source: Record<string, unknown>, spec?: Record<string, unknown>): void;
  /** The same for many syncs, in one kubectl call. */
  applySyncs(
    syncs: Array<{ name: string; source: Record<string, unknown>; spec?: Record<string, unknown> }>,
  ): void;
  /** Sum of a Prometheus series of the operator, over the label sets matching `match`. */
  metric(name: string, match?: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
}

export async function startBenchEnv(
  moduleEnv: Record<string, string> = {},
  opts: { cluster?: ControlPlaneOptions } = {},
): Promise<BenchEnv> {
  const env = await startOperatorEnv({
    name: "bench",
    moduleEnv: { LOG_LEVEL: "warn", ...moduleEnv },
    cluster: opts.cluster,
  });
  createInfrahubSecret(env);
  const syncObject = (
    name: string,
    source: Record<string, unknown>,
    spec: Record<string, unknown>,
  ) => ({
    apiVersion: "infrahub.operators.com/v1alpha1",
    kind: "InfrahubSync",
    metadata: { name },
    spec: {
      pollInterval: "1h",
      ...spec,
      source: {
        infrahubAPIURL: env.sim.url,
        targetBranch: "main",
        credentialsSecretRef: { name: "infrahub", namespace: "default" },
        ...source,
      },
    },
  });
  const metric = async (name: string, match: Record<string, string> = {}): Promise<number> => {
    const res = await httpsGet(`https://127.0.0.1:${env.module.port}/metrics`, {
      ca: env.cluster.cp.details.caPem,
    });
    let sum = 0;
    for (const line of res.body.split("\n")) {
      const m = /^([a-zA-Z_:]+)(\{([^}]*)\})?\s+(\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const labels = new Map(
        (m[3] ?? "")
          .split(",")
          .filter(Boolean)
          .map(kv => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 2, -1)]),
      );
      if (Object.entries(match).every(([k, v]) => labels.get(k) === v)) sum += Number(m[4]);
    }
    return sum;
  };
  return {
    env,
    kube: env.cluster.kube,
    kubeconfig: env.cluster.cp.kubeconfigPath,
    sim: env.sim,
    metric,
    syncObject: (name, source, spec = {}) => syncObject(name, source, spec),
    applySync(name, source, spec = {}) {
      env.kubectl(["apply", "-f", "-"], JSON.stringify(syncObject(name, source, spec)));
    },
    applySyncs(syncs) {
      const items = syncs.map(s => syncObject(s.name, s.source, s.spec ?? {}));
      env.kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items }));
    },
    stop: () => env.stop(),
  };
}
