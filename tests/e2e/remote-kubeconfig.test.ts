/**
 * Remote destinations with the kubeconfigs users bring: an exec plugin (a script printing an
 * ExecCredential with a client certificate for the second cluster), a `proxy-url` through a
 * CONNECT proxy, a kubeconfig without a context for the destination's server (refused), and a
 * rotated kubeconfig Secret (drift repair moves to the new credentials, triggered by the Secret's
 * watch), and no read of that Secret at steady state (the API server's audit log is the witness).
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump } from "js-yaml";
import { operatorRequests } from "../../hack/bench/api-audit";
import { readAudit, startedWatches } from "../support/audit";
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import { eventually, startTestCluster, type TestCluster } from "../support/cluster";
import { startConnectProxy, type ConnectProxy } from "../support/connect-proxy";
import { syncJson, webserverManifest } from "../support/fixtures";
import { waitForCondition } from "../support/operator-client";

let env: OperatorEnv;
let remote: TestCluster;
let proxy: ConnectProxy;
let dir: string;
let plugin: string;

const TARGETS = ["r-exec", "r-proxy", "r-rot", "r-none"];
const def = (t: string) => ({
  name: `Def_${t.replace("-", "_")}`,
  artifactName: `Manifest_${t.replace("-", "_")}`,
  contentType: "application/yaml",
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "remote-kubeconfig-"));
  plugin = join(dir, "credential-plugin.sh");
  proxy = await startConnectProxy();
  env = await startOperatorEnv({
    name: "rkc-a",
    cluster: { auditPolicy: SECRETS_AUDIT_POLICY },
    moduleEnv: { VIDRA_KUBECONFIG_EXEC_COMMANDS: plugin },
    sim: {
      seed: {
        definitions: TARGETS.map(def),
        artifacts: TARGETS.map(t => ({
          definition: def(t).name,
          target: { label: t },
          content: webserverManifest(t),
        })),
      },
    },
  });
  remote = await startTestCluster({ name: "rkc-b" });
  const d = remote.cp.details;
  writeFileSync(
    join(dir, "credential.json"),
    JSON.stringify({
      apiVersion: "client.authentication.k8s.io/v1",
      kind: "ExecCredential",
      status: { clientCertificateData: d.clientCertPem, clientKeyData: d.clientKeyPem },
    }),
  );
  writeFileSync(plugin, `#!/bin/sh\ncat ${join(dir, "credential.json")}\n`);
  chmodSync(plugin, 0o755);
  env.kubectl(["create", "namespace", "vidra-system"]);
}, 300_000);

afterAll(async () => {
  await env?.stop();
  await remote?.stop();
  await proxy?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every request on Secrets, at metadata level (no Secret data in the log); nothing else. */
const SECRETS_AUDIT_POLICY = {
  apiVersion: "audit.k8s.io/v1",
  kind: "Policy",
  omitStages: ["RequestReceived"],
  rules: [
    { level: "Metadata", resources: [{ group: "", resources: ["secrets"] }] },
    { level: "None" },
  ],
};

const b64 = (s: string) => Buffer.from(s).toString("base64");

function kubeconfigFor(user: Record<string, unknown>, cluster: Record<string, unknown> = {}) {
  const d = remote.cp.details;
  return dump({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "b",
        cluster: { server: d.server, "certificate-authority-data": b64(d.caPem), ...cluster },
      },
    ],
    users: [{ name: "u", user }],
    contexts: [{ name: "b", context: { cluster: "b", user: "u" } }],
    "current-context": "b",
  });
}

function putSecret(name: string, kubeconfig: string): void {
  env.kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace: "vidra-system" },
      data: { kubeconfig: b64(kubeconfig) },
    }),
  );
}

function applySync(target: string, secret: string, server = remote.cp.server): void {
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson(target, {
      source: {
        infrahubAPIURL: env.sim.url,
        discovery: "GraphQL",
        artefactName: def(target).artifactName,
      },
      destination: {
        server,
        kubeconfigSecretRef: { name: secret, namespace: "vidra-system" },
        reconcileOnEvents: true,
      },
      pollInterval: "1h",
    }),
  );
}

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

test("a kubeconfig whose user is an exec plugin (client certificate) syncs", async () => {
  putSecret(
    "exec-kc",
    kubeconfigFor({ exec: { apiVersion: "client.authentication.k8s.io/v1", command: plugin } }),
  );
  applySync("r-exec", "exec-kc");
  await waitForCondition(env, "infrahubsync/r-exec", "Ready", "True", { timeoutMs: 120_000 });
  expect(onRemote(["get", "deployment", "-n", "ns-r-exec", "r-exec"]).code).toBe(0);
});

test("a kubeconfig's proxy-url carries the operator's requests through the proxy", async () => {
  const d = remote.cp.details;
  putSecret(
    "proxy-kc",
    kubeconfigFor(
      { "client-certificate-data": b64(d.clientCertPem), "client-key-data": b64(d.clientKeyPem) },
      { "proxy-url": proxy.url },
    ),
  );
  applySync("r-proxy", "proxy-kc");
  await waitForCondition(env, "infrahubsync/r-proxy", "Ready", "True", { timeoutMs: 120_000 });
  expect(onRemote(["get", "deployment", "-n", "ns-r-proxy", "r-proxy"]).code).toBe(0);
  expect(proxy.tunnels).toContain(new URL(d.server).host);
});

test("a kubeconfig without a context for the destination's server is refused, never used", async () => {
  const d = remote.cp.details;
  putSecret(
    "other-kc",
    kubeconfigFor({
      "client-certificate-data": b64(d.clientCertPem),
      "client-key-data": b64(d.clientKeyPem),
    }),
  );
  const elsewhere = "https://cluster-c.example.com:6443";
  applySync("r-none", "other-kc", elsewhere);
  const sync = await waitForCondition(env, "infrahubsync/r-none", "Ready", "False", {
    timeoutMs: 120_000,
  });
  const text = JSON.stringify(sync.status.conditions);
  expect(text).toContain(`has no context for ${elsewhere}`);
  expect(text).toContain(d.server);
  expect(onRemote(["get", "namespace", "ns-r-none"]).code).not.toBe(0);
  expect(env.kubectlResult(["get", "namespace", "ns-r-none"]).code).not.toBe(0);
});

/** A cluster-admin ServiceAccount on the remote cluster and a token for it. */
async function remoteToken(name: string): Promise<string> {
  onRemote(["create", "serviceaccount", name, "-n", "default"]);
  onRemote([
    "create",
    "clusterrolebinding",
    name,
    "--clusterrole=cluster-admin",
    `--serviceaccount=default:${name}`,
  ]);
  const tr = await remote.kube.create<{ status: { token: string } }>(
    `/api/v1/namespaces/default/serviceaccounts/${name}/token`,
    {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { expirationSeconds: 3600 },
    },
  );
  return tr.status.token;
}

test("rotating the kubeconfig Secret moves drift repair to the new credentials", async () => {
  putSecret("rot-kc", kubeconfigFor({ token: await remoteToken("deployer-1") }));
  applySync("r-rot", "rot-kc");
  await waitForCondition(env, "infrahubsync/r-rot", "Ready", "True", { timeoutMs: 120_000 });

  putSecret("rot-kc", kubeconfigFor({ token: await remoteToken("deployer-2") }));
  // The old identity is gone: from now on only the rotated credentials can repair anything.
  onRemote(["delete", "serviceaccount", "deployer-1", "-n", "default"]);
  onRemote(["delete", "clusterrolebinding", "deployer-1"]);
  await eventually(
    async () => {
      onRemote(["scale", "deployment", "-n", "ns-r-rot", "r-rot", "--replicas=5"]);
      await new Promise(r => setTimeout(r, 3_000));
      const dep = JSON.parse(
        onRemote(["get", "deployment", "-n", "ns-r-rot", "r-rot", "-o", "json"]).stdout || "{}",
      );
      return dep.spec?.replicas === 1;
    },
    { what: "drift repaired with the rotated credentials", timeoutMs: 120_000, intervalMs: 1_000 },
  );
});

const replicasOnRemote = (): number | undefined =>
  JSON.parse(
    onRemote(["get", "deployment", "-n", "ns-r-rot", "r-rot", "-o", "json"]).stdout || "{}",
  ).spec?.replicas;

test("at steady state the kubeconfig Secret is never read again: its watch carries it", async () => {
  const auditLog = env.cluster.cp.details.auditLogPath!;
  const from = Date.now();
  // The operator keeps working with the remote cluster meanwhile: each drift repair resolves the
  // destination again (which read the Secret with a GET until the Secret was watched).
  for (const replicas of [3, 4]) {
    onRemote(["scale", "deployment", "-n", "ns-r-rot", "r-rot", `--replicas=${replicas}`]);
    await eventually(async () => replicasOnRemote() === 1, {
      what: `drift repaired (scaled to ${replicas})`,
      timeoutMs: 120_000,
      intervalMs: 1_000,
    });
  }
  await new Promise(r => setTimeout(r, 5_000));
  const to = Date.now();
  // The witness sees Secret reads: kubectl's, in the same log (left out of the operator's).
  env.kubectl(["get", "secret", "rot-kc", "-n", "vidra-system", "-o", "name"]);
  await eventually(
    async () =>
      readAudit(auditLog).some(
        e =>
          e.verb === "get" && e.objectRef?.name === "rot-kc" && /^kubectl/.test(e.userAgent ?? ""),
      ),
    { what: "kubectl's read of the Secret in the audit log", timeoutMs: 30_000 },
  );
  const secretReads = Object.entries(operatorRequests(auditLog, from, to).breakdown).filter(([k]) =>
    /^(get|list) secrets /.test(k),
  );
  expect(secretReads).toEqual([]);
  // What the operator reads the Secret from: a watch of that one Secret.
  expect(
    startedWatches(auditLog).some(
      e =>
        e.objectRef?.namespace === "vidra-system" &&
        /fieldSelector=metadata\.name%3Drot-kc/.test(e.requestURI) &&
        !/^kubectl/.test(e.userAgent ?? ""),
    ),
  ).toBe(true);
});

test("without the admission webhook, moving a sync to another cluster is still refused until its objects are dealt with", async () => {
  // Admission refuses the change (docs/admission.md); the reconciler refuses it as well, for when
  // the webhook is not in the way (removed, or bypassed). r-exec's objects live on the remote cluster.
  for (const name of env
    .kubectl(["get", "validatingwebhookconfigurations", "-o", "name"])
    .split("\n")
    .filter(n => n.includes("pepr")))
    env.kubectl(["delete", name]);
  env.kubectl([
    "patch",
    "infrahubsync",
    "r-exec",
    "--type=json",
    "-p",
    JSON.stringify([
      { op: "remove", path: "/spec/destination/server" },
      { op: "remove", path: "/spec/destination/kubeconfigSecretRef" },
    ]),
  ]);
  const vrName = (): string =>
    JSON.parse(env.kubectl(["get", "infrahubsync", "r-exec", "-o", "json"])).status.artifacts[0]
      .vidraResource;
  const refused = await eventually(
    async () => {
      const vr = JSON.parse(env.kubectl(["get", "vidraresource", vrName(), "-o", "json"]));
      const ready = vr.status?.conditions?.find((c: { type: string }) => c.type === "Ready");
      return ready?.reason === "DestinationChanged" ? ready : undefined;
    },
    { what: "the VidraResource refusing the move", timeoutMs: 120_000 },
  );
  expect(refused.message).toContain(`changed from ${remote.cp.server} to the local cluster`);
  expect(env.kubectlResult(["get", "namespace", "ns-r-exec"]).code).not.toBe(0);
  expect(onRemote(["get", "deployment", "-n", "ns-r-exec", "r-exec"]).code).toBe(0);

  // Leave them on the remote cluster, unmanaged: the sync then applies to the local cluster.
  env.kubectl([
    "patch",
    "vidraresource",
    vrName(),
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify({ status: { managedResources: [], managedCount: 0 } }),
  ]);
  env.kubectl(["annotate", "vidraresource", vrName(), "infrahub.operators.com/sync-now=1"]);
  await eventually(
    async () => env.kubectlResult(["get", "deployment", "-n", "ns-r-exec", "r-exec"]).code === 0,
    {
      what: "the objects applied to the local cluster",
      timeoutMs: 120_000,
    },
  );
  expect(onRemote(["get", "deployment", "-n", "ns-r-exec", "r-exec"]).code).toBe(0);
});
