/**
 * A remote destination: the operator runs against cluster A and applies to cluster B through a
 * kubeconfig Secret (explicit reference, or Vidra's cluster-kubeconfig label), with drift watches
 * on B as well.
 */
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import { eventually, startTestCluster, type TestCluster } from "../support/cluster";
import { WEBSERVER_DEFINITION, syncJson, webserverManifest } from "../support/fixtures";
import { waitForCondition } from "../support/operator-client";

let env: OperatorEnv;
let remote: TestCluster;

beforeAll(async () => {
  env = await startOperatorEnv({
    name: "multi-a",
    sim: {
      seed: {
        definitions: [WEBSERVER_DEFINITION],
        artifacts: [
          {
            definition: WEBSERVER_DEFINITION.name,
            target: { label: "r-01" },
            content: webserverManifest("r-01"),
          },
        ],
      },
    },
  });
  remote = await startTestCluster({ name: "multi-b" });
  const kubeconfig = readFileSync(remote.cp.kubeconfigPath, "utf8");
  env.kubectl(["create", "namespace", "vidra-system"]);
  env.kubectl([
    "create",
    "secret",
    "generic",
    "cluster-b",
    "-n",
    "vidra-system",
    `--from-literal=kubeconfig=${kubeconfig}`,
  ]);
}, 240_000);

afterAll(async () => {
  await env?.stop();
  await remote?.stop();
});

function onRemote(args: string[]): { code: number; stdout: string } {
  try {
    return {
      code: 0,
      stdout: execFileSync("kubectl", ["--kubeconfig", remote.cp.kubeconfigPath, ...args], {
        encoding: "utf8",
        stdio: "pipe",
      }),
    };
  } catch {
    return { code: 1, stdout: "" };
  }
}

test("objects land on the remote cluster named by a kubeconfig Secret, not on the local one", async () => {
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("remote", {
      source: { infrahubAPIURL: env.sim.url, discovery: "GraphQL" },
      destination: {
        server: remote.cp.server,
        kubeconfigSecretRef: { name: "cluster-b", namespace: "vidra-system" },
        reconcileOnEvents: true,
      },
      pollInterval: "1h",
    }),
  );
  await waitForCondition(env, "infrahubsync/remote", "Ready", "True", { timeoutMs: 90_000 });
  expect(onRemote(["get", "deployment", "-n", "ns-r-01", "r-01"]).code).toBe(0);
  expect(env.kubectlResult(["get", "namespace", "ns-r-01"]).code).not.toBe(0);
});

test("drift on the remote cluster is repaired through its own watch", async () => {
  onRemote(["scale", "deployment", "-n", "ns-r-01", "r-01", "--replicas=6"]);
  await eventually(
    async () =>
      JSON.parse(onRemote(["get", "deployment", "-n", "ns-r-01", "r-01", "-o", "json"]).stdout).spec
        .replicas === 1,
    { what: "remote drift repaired", timeoutMs: 15_000 },
  );
});

test("Vidra's label lookup (cluster-kubeconfig=<host>) finds the kubeconfig too", async () => {
  env.kubectl([
    "label",
    "secret",
    "cluster-b",
    "-n",
    "vidra-system",
    "cluster-kubeconfig=127.0.0.1",
  ]);
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("remote-label", {
      source: { infrahubAPIURL: env.sim.url, discovery: "GraphQL" },
      destination: { server: remote.cp.server, namespace: "labelled" },
      pollInterval: "1h",
    }),
  );
  await waitForCondition(env, "infrahubsync/remote-label", "Ready", "True", { timeoutMs: 90_000 });
});

test("a serviceAccountName is impersonated on the remote cluster, on top of the kubeconfig's identity", async () => {
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("remote-as", {
      source: { infrahubAPIURL: env.sim.url, discovery: "GraphQL" },
      destination: {
        server: remote.cp.server,
        namespace: "remote-team",
        kubeconfigSecretRef: { name: "cluster-b", namespace: "vidra-system" },
      },
      // Exists nowhere, so it may do nothing: the remote API server must refuse as that user.
      serviceAccountName: "nobody",
      pollInterval: "1h",
    }),
  );
  const sync = await waitForCondition(env, "infrahubsync/remote-as", "Ready", "False", {
    reason: "VidraResourceFailed",
    timeoutMs: 90_000,
  });
  expect(JSON.stringify(sync.status.conditions)).toContain(
    'User \\"system:serviceaccount:remote-team:nobody\\" cannot',
  );
  env.kubectl(["delete", "infrahubsync", "remote-as"]);
});

test("an unknown remote cluster is reported, and deleting the sync cleans up the remote cluster", async () => {
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("nowhere", {
      source: { infrahubAPIURL: env.sim.url, discovery: "GraphQL" },
      destination: { server: "https://cluster-c.example.com:6443" },
      pollInterval: "1h",
    }),
  );
  const sync = await waitForCondition(env, "infrahubsync/nowhere", "Ready", "False", {
    reason: "VidraResourceFailed",
  });
  expect(JSON.stringify(sync.status.conditions)).toContain(
    "no kubeconfig for https://cluster-c.example.com:6443",
  );
  env.kubectl(["delete", "infrahubsync", "nowhere", "remote-label", "--wait=false"]);
  env.kubectl(["delete", "infrahubsync", "remote"]);
  await eventually(
    async () => onRemote(["get", "deployment", "-n", "ns-r-01", "r-01"]).code !== 0,
    {
      what: "remote objects deleted",
      timeoutMs: 90_000,
    },
  );
});
