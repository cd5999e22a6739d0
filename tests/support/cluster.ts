import { execFileSync } from "node:child_process";
import { join } from "node:path";
import {
  LocalControlPlane,
  type ControlPlaneOptions,
} from "../../hack/control-plane/control-plane";
import { KubeClient } from "../../capabilities/lib/kube/client";
import type { ClusterConnection } from "../../capabilities/lib/kube/kubeconfig";

export interface TestCluster {
  cp: LocalControlPlane;
  kube: KubeClient;
  connection: ClusterConnection;
  stop(): Promise<void>;
}

/** A control plane plus an admin client for it; stop() closes both. */
export async function startTestCluster(opts: ControlPlaneOptions = {}): Promise<TestCluster> {
  const cp = await LocalControlPlane.start(opts);
  const d = cp.details;
  const connection: ClusterConnection = {
    server: d.server,
    caPem: d.caPem,
    certPem: d.clientCertPem,
    keyPem: d.clientKeyPem,
    origin: `test cluster ${d.name}`,
  };
  const kube = new KubeClient(connection, { maxAttempts: 2 });
  return {
    cp,
    kube,
    connection,
    async stop() {
      kube.close();
      await cp.stop();
    },
  };
}

/** A test cluster with kubectl for it. */
export interface KubectlCluster {
  cluster: TestCluster;
  kubectl(args: string[], input?: string): string;
}

/**
 * A test cluster with the operator's two CRDs installed and established, for tests that run the
 * operator in their own process (no module, so nothing else installs them).
 */
export async function startCrdCluster(name: string): Promise<KubectlCluster> {
  const cluster = await startTestCluster({ name });
  const kubectl = (args: string[], input?: string): string =>
    execFileSync("kubectl", ["--kubeconfig", cluster.cp.kubeconfigPath, ...args], {
      input,
      encoding: "utf8",
    });
  try {
    const root = join(__dirname, "../..");
    kubectl(["apply", "-f", join(root, "crds/infrahubsync.yaml")]);
    kubectl(["apply", "-f", join(root, "crds/vidraresource.yaml")]);
    kubectl([
      "wait",
      "--for=condition=Established",
      "--timeout=60s",
      "crd/infrahubsyncs.infrahub.operators.com",
      "crd/vidraresources.infrahub.operators.com",
    ]);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return { cluster, kubectl };
}

/** Polls `fn` until it returns a value other than undefined/false, or fails with the last value seen. */
export async function eventually<T>(
  fn: () => Promise<T | undefined | false>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${opts.what ?? "a condition"}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`,
      );
    }
    await new Promise(r => setTimeout(r, opts.intervalMs ?? 200));
  }
}
