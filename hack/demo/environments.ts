/**
 * The two places the demo's operator can run against: a local control plane with the Infrahub
 * simulator (the default), or the cluster and Infrahub a person names with KUBECONFIG and
 * INFRAHUB_URL. Both come back in one shape, every part registered with the lifecycle for shutdown.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { KubeClient } from "../../capabilities/lib/kube/client";
import {
  ClusterAccess,
  loadKubeconfigFiles,
  type ClusterConnection,
} from "../../capabilities/lib/kube/kubeconfig";
import { createTestPki } from "../control-plane/certs";
import { LocalControlPlane, type ControlPlaneInfo } from "../control-plane/control-plane";
import { startInfrahubSimulator, type InfrahubSimulator } from "../infrahub-sim";
import type { DemoConfig, InfrahubAuth, InfrahubSource } from "./demo-config";
import type { Lifecycle } from "./lifecycle";

export const SEED_FILE = join(__dirname, "seed.yaml");
/** The seed's user (hack/demo/seed.yaml); a demo credential, not a secret. */
const SIM_AUTH: InfrahubAuth = { kind: "password", username: "admin", password: "infrahub" };

export interface DemoEnvironment {
  /** What the module runner needs: kubeconfig, and a CA + serving pair for the module's TLS. */
  cluster: ControlPlaneInfo;
  /** Read/write client for the view and the sample (closed on shutdown). */
  kube: KubeClient;
  infrahub: InfrahubSource;
  simulator?: InfrahubSimulator;
  /** The simulator's branches (local mode). */
  branches: string[];
  /** Webhooks can only be registered where the API server can reach 127.0.0.1. */
  registerWebhooks: boolean;
}

function clientFor(life: Lifecycle, connection: ClusterAccess | ClusterConnection): KubeClient {
  const kube = new KubeClient(connection, { maxAttempts: 2, timeoutMs: 15_000 });
  life.defer("closing the API connections", () => kube.close());
  return kube;
}

/**
 * A local control plane (kube-apiserver, etcd, kube-controller-manager, kube-scheduler and KWOK with
 * one fake node, so the Deployments' pods run and roll out) and the seeded simulator.
 */
export async function startLocal(
  life: Lifecycle,
  say: (l: string) => void,
  workDir: string,
): Promise<DemoEnvironment> {
  const baseDir = join(workDir, "control-plane");
  mkdirSync(baseDir, { recursive: true });
  say(
    "starting the local control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, KWOK with a fake node)",
  );
  const started = Date.now();
  const cp = await LocalControlPlane.start({ name: "vidra-pepr-demo", baseDir, workloads: true });
  life.defer("stopping the local control plane", () => cp.stop());
  say(`control plane ready at ${cp.server} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  life.check();
  const sim = await startInfrahubSimulator({ seed: SEED_FILE, controlApi: true });
  life.defer("stopping the Infrahub simulator", () => sim.stop());
  say(`Infrahub simulator at ${sim.url} (seed hack/demo/seed.yaml, control API ${sim.url}/__sim/)`);
  const branches = (await (await fetch(`${sim.url}/__sim/branches`)).json()) as string[];
  const d = cp.details;
  const kube = clientFor(life, {
    server: d.server,
    caPem: d.caPem,
    certPem: d.clientCertPem,
    keyPem: d.clientKeyPem,
    origin: "demo control plane",
  });
  return {
    cluster: d,
    kube,
    simulator: sim,
    branches,
    registerWebhooks: true,
    infrahub: { url: sim.url, branch: "main", artifact: "Webserver_Manifest", auth: SIM_AUTH },
  };
}

/**
 * The person's cluster and Infrahub. The module still serves TLS (Pepr requires it), so a throw-away
 * CA and serving certificate for 127.0.0.1 are made for it; nothing is registered in the cluster
 * that would have to reach this machine.
 */
export async function startRemote(
  config: Extract<DemoConfig, { mode: "remote" }>,
  life: Lifecycle,
  say: (l: string) => void,
  workDir: string,
): Promise<DemoEnvironment> {
  const connection = ClusterAccess.select(loadKubeconfigFiles([config.kubeconfig]), {
    origin: `kubeconfig ${config.kubeconfig}`,
    allowFiles: true,
  });
  const kube = clientFor(life, connection);
  say(`checking the cluster at ${connection.server}`);
  await kube.get("/version");
  const pkiDir = join(workDir, "module-pki");
  mkdirSync(pkiDir, { recursive: true });
  const pki = await createTestPki(pkiDir);
  return {
    cluster: {
      name: "remote",
      server: connection.server,
      kubeconfigPath: config.kubeconfig,
      baseDir: workDir,
      caPem: pki.ca.certPem,
      clientCertPem: pki.admin.certPem,
      clientKeyPem: pki.admin.keyPem,
      servingCertPem: pki.serving.certPem,
      servingKeyPem: pki.serving.keyPem,
    },
    kube,
    branches: [],
    registerWebhooks: false,
    infrahub: config.infrahub,
  };
}
