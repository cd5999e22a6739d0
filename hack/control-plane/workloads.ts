import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ControlPlaneBinaries } from "./binaries";
import { httpsRequest, waitFor, type ClientTls } from "./https-probe";
import { ManagedProcess } from "./processes";

/**
 * Pods that run, without a kubelet: kube-scheduler places them on fake nodes that KWOK plays the
 * kubelet for, following the stages in kwok-stages.yaml (Running and Ready, Jobs Succeed, failures
 * on request). The workload controllers of kube-controller-manager turn Deployments, StatefulSets,
 * DaemonSets and Jobs into pods.
 */
export interface WorkloadOptions {
  /** How many fake nodes to create. Default 1 (each takes any number of pods). */
  nodes?: number;
}

export const KWOK_STAGES_FILE = resolve(__dirname, "kwok-stages.yaml");

/** What marks a node as KWOK's to play (and only those: a real node would be left alone). */
export const FAKE_NODE_ANNOTATION = { key: "kwok.x-k8s.io/node", value: "fake" };

/** kube-controller-manager controllers that turn workloads into pods. */
export const WORKLOAD_CONTROLLERS = [
  "deployment-controller",
  "replicaset-controller",
  "statefulset-controller",
  "daemonset-controller",
  "job-controller",
  "cronjob-controller",
];

export function fakeNodeName(i: number): string {
  return `kwok-node-${i}`;
}

export function fakeNode(name: string): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: { [FAKE_NODE_ANNOTATION.key]: FAKE_NODE_ANNOTATION.value },
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": "kwok",
        type: "kwok",
      },
    },
    // No taint: the nodes are the only ones, so any manifest's pods must land on them.
    spec: {},
  };
}

export function startScheduler(
  bins: ControlPlaneBinaries,
  baseDir: string,
  kubeconfigPath: string,
): ManagedProcess {
  return ManagedProcess.start({
    name: "kube-scheduler",
    command: bins.kubeScheduler,
    logFile: join(baseDir, "kube-scheduler.log"),
    args: [
      `--kubeconfig=${kubeconfigPath}`,
      `--authentication-kubeconfig=${kubeconfigPath}`,
      `--authorization-kubeconfig=${kubeconfigPath}`,
      `--leader-elect=false`,
      `--bind-address=127.0.0.1`,
      `--secure-port=0`,
    ],
  });
}

export function startKwok(
  bins: ControlPlaneBinaries,
  baseDir: string,
  kubeconfigPath: string,
): ManagedProcess {
  // KWOK also reads ~/.kwok/kwok.yaml when it exists: a home of its own keeps a developer's out.
  const home = join(baseDir, "kwok-home");
  mkdirSync(home, { recursive: true });
  return ManagedProcess.start({
    name: "kwok",
    command: bins.kwok,
    logFile: join(baseDir, "kwok.log"),
    env: { PATH: process.env.PATH ?? "", HOME: home },
    args: [
      `--kubeconfig=${kubeconfigPath}`,
      `--config=${KWOK_STAGES_FILE}`,
      `--manage-all-nodes=false`,
      `--manage-nodes-with-annotation-selector=${FAKE_NODE_ANNOTATION.key}=${FAKE_NODE_ANNOTATION.value}`,
      `--cidr=10.244.0.0/16`,
      `--node-ip=10.96.255.1`,
      `-v=WARN`,
    ],
  });
}

/** Creates the fake nodes and waits until KWOK reports each Ready (the scheduler skips others). */
export async function addFakeNodes(
  server: string,
  tls: ClientTls,
  count: number,
  opts: { timeoutMs: number; describe: () => Promise<string> },
): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => fakeNodeName(i));
  for (const name of names) {
    const res = await httpsRequest("POST", `${server}/api/v1/nodes`, tls, fakeNode(name));
    if (res.status !== 201 && res.status !== 409)
      throw new Error(`creating node ${name} failed: ${res.status} ${res.body.slice(0, 500)}`);
    // The API server taints a new node not-ready; the node lifecycle controller, which would lift
    // the taint once the node reports Ready, is not run (it would also evict pods of nodes whose
    // heartbeats it finds late on a busy machine).
    const untaint = await httpsRequest("PATCH", `${server}/api/v1/nodes/${name}`, tls, {
      spec: { taints: null },
    });
    if (untaint.status !== 200)
      throw new Error(
        `untainting node ${name} failed: ${untaint.status} ${untaint.body.slice(0, 500)}`,
      );
  }
  await waitFor(
    async () => {
      const res = await httpsRequest("GET", `${server}/api/v1/nodes`, tls);
      if (res.status !== 200) return false;
      const list = JSON.parse(res.body) as {
        items: Array<{
          metadata: { name: string };
          status?: { conditions?: Array<{ type: string; status: string }> };
        }>;
      };
      const ready = new Set(
        list.items
          .filter(n => n.status?.conditions?.some(c => c.type === "Ready" && c.status === "True"))
          .map(n => n.metadata.name),
      );
      return names.every(n => ready.has(n));
    },
    {
      timeoutMs: opts.timeoutMs,
      intervalMs: 300,
      describe: async () => `the fake nodes did not become Ready:\n${await opts.describe()}`,
    },
  );
  return names;
}
