/**
 * The Kubernetes client against a real API server with the kubeconfigs users bring: an exec plugin
 * that hands out a client certificate, impersonation (proved by a SelfSubjectReview), a
 * `proxy-url` and HTTPS_PROXY through a CONNECT proxy (which must see the tunnel), and
 * `tls-server-name`.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump } from "js-yaml";
import { KubeClient } from "../../capabilities/lib/kube/client";
import { ClusterAccess, loadKubeconfigFiles } from "../../capabilities/lib/kube/kubeconfig";
import { ClusterTransport } from "../../capabilities/lib/kube/transport";
import { startConnectProxy, type ConnectProxy } from "../support/connect-proxy";
import { startTestCluster, type TestCluster } from "../support/cluster";

let cluster: TestCluster;
let proxy: ConnectProxy;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kube-kubeconfig-"));
  proxy = await startConnectProxy();
  cluster = await startTestCluster({ name: "kubeconfig" });
}, 240_000);

afterAll(async () => {
  await cluster?.stop();
  await proxy?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const b64 = (s: string) => Buffer.from(s).toString("base64");

function access(
  user: Record<string, unknown>,
  cluster_: Record<string, unknown> = {},
  name = "kc.yaml",
): ClusterAccess {
  const d = cluster.cp.details;
  const path = join(dir, name);
  writeFileSync(
    path,
    dump({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "c",
          cluster: { server: d.server, "certificate-authority-data": b64(d.caPem), ...cluster_ },
        },
      ],
      users: [{ name: "u", user }],
      contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
      "current-context": "ctx",
    }),
  );
  return ClusterAccess.select(loadKubeconfigFiles([path]), { origin: path, allowFiles: true });
}

const admin = () => ({
  "client-certificate-data": b64(cluster.cp.details.clientCertPem),
  "client-key-data": b64(cluster.cp.details.clientKeyPem),
});

async function whoAmI(kube: KubeClient): Promise<{ username: string; groups: string[] }> {
  const review = await kube.create<{
    status: { userInfo: { username: string; groups: string[] } };
  }>("/apis/authentication.k8s.io/v1/selfsubjectreviews", {
    apiVersion: "authentication.k8s.io/v1",
    kind: "SelfSubjectReview",
  });
  return review.status.userInfo;
}

test("an exec plugin that prints a client certificate authenticates", async () => {
  const d = cluster.cp.details;
  const credential = join(dir, "credential.json");
  writeFileSync(
    credential,
    JSON.stringify({
      apiVersion: "client.authentication.k8s.io/v1",
      kind: "ExecCredential",
      status: { clientCertificateData: d.clientCertPem, clientKeyData: d.clientKeyPem },
    }),
  );
  const plugin = join(dir, "plugin.sh");
  writeFileSync(plugin, `#!/bin/sh\ncat ${credential}\n`);
  chmodSync(plugin, 0o755);
  const kube = new KubeClient(
    access({ exec: { apiVersion: "client.authentication.k8s.io/v1", command: plugin } }),
  );
  try {
    const me = await whoAmI(kube);
    expect(me.groups).toContain("system:masters");
  } finally {
    kube.close();
  }
});

test("`as` and `as-groups` are applied: the API server sees the impersonated identity", async () => {
  const kube = new KubeClient(
    access({ ...admin(), as: "jane", "as-groups": ["team-a", "team-b"] }, {}, "as.yaml"),
  );
  try {
    const me = await whoAmI(kube);
    expect(me.username).toBe("jane");
    expect(me.groups).toEqual(expect.arrayContaining(["team-a", "team-b"]));
    expect(me.groups).not.toContain("system:masters");
  } finally {
    kube.close();
  }
});

test("a kubeconfig's proxy-url and HTTPS_PROXY reach the cluster through the proxy", async () => {
  const host = new URL(cluster.cp.details.server).host;
  const before = proxy.tunnels.length;
  const viaUrl = new KubeClient(access(admin(), { "proxy-url": proxy.url }, "proxy.yaml"));
  try {
    await viaUrl.get("/version");
  } finally {
    viaUrl.close();
  }
  expect(proxy.tunnels.slice(before)).toEqual([host]);

  const viaEnv = new ClusterTransport(access(admin(), {}, "env.yaml"), {
    env: { HTTPS_PROXY: proxy.url, NO_PROXY: "infrahub.example.com" },
  });
  try {
    const res = await viaEnv.send("GET", "/version", undefined, {}, 30_000);
    expect(res.status).toBe(200);
  } finally {
    viaEnv.close();
  }
  expect(proxy.tunnels.slice(before)).toEqual([host, host]);
});

test("tls-server-name is the name the server certificate is checked against", async () => {
  const good = new KubeClient(access(admin(), { "tls-server-name": "localhost" }, "sni.yaml"), {
    maxAttempts: 1,
  });
  const bad = new KubeClient(
    access(admin(), { "tls-server-name": "wrong.example.com" }, "sni-bad.yaml"),
    { maxAttempts: 1 },
  );
  try {
    await expect(good.get("/version")).resolves.toBeDefined();
    await expect(bad.get("/version")).rejects.toThrow(/wrong\.example\.com|altnames/i);
  } finally {
    good.close();
    bad.close();
  }
});
