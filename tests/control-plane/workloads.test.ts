/**
 * The local control plane with workloads on: kube-scheduler places pods on KWOK's fake nodes, KWOK
 * reports them Running and Ready, the workload controllers roll Deployments out, Jobs complete, and
 * the annotations of hack/control-plane/kwok-stages.yaml simulate failures.
 */
import { execFileSync } from "node:child_process";
import { startTestCluster, eventually, type TestCluster } from "../support/cluster";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster({ name: "workloads", workloads: { nodes: 2 } });
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
});

function kubectl(args: string[], input?: string): string {
  return execFileSync("kubectl", ["--kubeconfig", cluster.cp.kubeconfigPath, ...args], {
    input,
    encoding: "utf8",
    stdio: ["pipe", "pipe", "pipe"],
  });
}

const get = (args: string[]): Json => JSON.parse(kubectl(["get", ...args, "-o", "json"]));

function apply(obj: Json): void {
  kubectl(["apply", "-f", "-"], JSON.stringify(obj));
}

function deployment(name: string, annotations: Record<string, string> = {}, replicas = 2): Json {
  const labels = { app: name };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "default" },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations },
        spec: { containers: [{ name: "web", image: "nginx:1.27" }] },
      },
    },
  };
}

function job(name: string, annotations: Record<string, string> = {}): Json {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: "default" },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { annotations },
        spec: { restartPolicy: "Never", containers: [{ name: "task", image: "busybox" }] },
      },
    },
  };
}

const podsOf = (app: string): Json[] => get(["pods", "-n", "default", "-l", `app=${app}`]).items;

test("the fake nodes are Ready and schedulable", () => {
  expect(cluster.cp.details.nodes).toEqual(["kwok-node-0", "kwok-node-1"]);
  const nodes = get(["nodes"]).items;
  for (const n of nodes) {
    expect(n.spec.taints ?? []).toEqual([]);
    expect(n.status.conditions.find((c: Json) => c.type === "Ready").status).toBe("True");
  }
});

test("a Deployment rolls out: its pods are scheduled, Running and Ready", async () => {
  apply(deployment("web"));
  const d = await eventually(
    async () => {
      const d = get(["deployment", "-n", "default", "web"]);
      return d.status?.availableReplicas === 2 ? d : undefined;
    },
    { what: "deployment web 2/2 available", timeoutMs: 60_000 },
  );
  expect(d.status.conditions.find((c: Json) => c.type === "Available").status).toBe("True");
  const pods = podsOf("web");
  expect(pods).toHaveLength(2);
  for (const p of pods) {
    expect(p.spec.nodeName).toMatch(/^kwok-node-[01]$/);
    expect(p.status.phase).toBe("Running");
    expect(p.status.podIP).toMatch(/^10\.244\./);
  }
});

test("a DaemonSet gets one ready pod per node", async () => {
  const labels = { app: "agent" };
  apply({
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: "agent", namespace: "default" },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: "agent", image: "busybox" }] },
      },
    },
  });
  await eventually(
    async () => {
      const ds = get(["daemonset", "-n", "default", "agent"]);
      return ds.status?.numberReady === 2 && ds.status.desiredNumberScheduled === 2;
    },
    { what: "daemonset agent 2/2 ready", timeoutMs: 60_000 },
  );
});

test("a Job completes", async () => {
  apply(job("migrate"));
  const j = await eventually(
    async () => {
      const j = get(["job", "-n", "default", "migrate"]);
      return j.status?.conditions?.some((c: Json) => c.type === "Complete" && c.status === "True")
        ? j
        : undefined;
    },
    { what: "job migrate Complete", timeoutMs: 60_000 },
  );
  expect(j.status.succeeded).toBe(1);
});

test("exit-code makes a Job's pod fail, and the Job with it", async () => {
  apply(job("broken", { "kwok.vidra-pepr.dev/exit-code": "3" }));
  const j = await eventually(
    async () => {
      const j = get(["job", "-n", "default", "broken"]);
      return j.status?.conditions?.some((c: Json) => c.type === "Failed" && c.status === "True")
        ? j
        : undefined;
    },
    { what: "job broken Failed", timeoutMs: 60_000 },
  );
  expect(j.status.failed).toBe(1);
  const pod = get(["pods", "-n", "default", "-l", "job-name=broken"]).items[0];
  expect(pod.status.phase).toBe("Failed");
  expect(pod.status.containerStatuses[0].state.terminated).toMatchObject({
    exitCode: 3,
    reason: "Error",
  });
});

test("waiting-reason keeps a Deployment's pods from ever becoming ready", async () => {
  apply(
    deployment("stuck", {
      "kwok.vidra-pepr.dev/waiting-reason": "ImagePullBackOff",
      "kwok.vidra-pepr.dev/waiting-message": 'Back-off pulling image "nginx:missing"',
    }),
  );
  const pods = await eventually(
    async () => {
      const pods = podsOf("stuck");
      return pods.length === 2 && pods.every(p => p.status?.containerStatuses) ? pods : undefined;
    },
    { what: "pods of stuck with container statuses", timeoutMs: 60_000 },
  );
  for (const p of pods) {
    expect(p.status.phase).toBe("Pending");
    expect(p.status.containerStatuses[0].state.waiting).toEqual({
      reason: "ImagePullBackOff",
      message: 'Back-off pulling image "nginx:missing"',
    });
  }
  const d = get(["deployment", "-n", "default", "stuck"]);
  expect(d.status.availableReplicas ?? 0).toBe(0);
});

test("ready-after delays readiness by at least that long", async () => {
  apply(deployment("slow", { "kwok.vidra-pepr.dev/ready-after": "3s" }, 1));
  const pod = await eventually(
    async () => {
      const p = podsOf("slow")[0];
      return p?.status?.phase === "Running" ? p : undefined;
    },
    { what: "pod of slow Running", timeoutMs: 60_000 },
  );
  const created = Date.parse(pod.metadata.creationTimestamp);
  // creationTimestamp has whole seconds: allow for the truncation.
  expect(Date.parse(pod.status.startTime) - created).toBeGreaterThanOrEqual(2000);
});
