import { dump } from "js-yaml";
import { KubeClient } from "../kube/client";
import { DestinationResolver } from "./destinations";
import type { SecretObject } from "./secrets";

const kubeconfig = (server: string) =>
  dump({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "c", cluster: { server, "insecure-skip-tls-verify": true } }],
    users: [{ name: "u", user: { token: "t0ken" } }],
    contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
    "current-context": "x",
  });

/** A local cluster holding kubeconfig Secrets, which the test can rotate and delete. */
function localCluster() {
  const secrets = new Map<string, SecretObject>();
  let rv = 0;
  const put = (name: string, server: string) =>
    secrets.set(name, {
      metadata: { name, namespace: "ns", uid: `uid-${name}`, resourceVersion: String(++rv) },
      data: { kubeconfig: Buffer.from(kubeconfig(server)).toString("base64") },
    });
  const kube = {
    server: "https://local.test",
    get: async (path: string) => {
      const s = secrets.get(path.split("/").pop()!);
      if (!s) throw new Error(`no ${path}`);
      return s;
    },
    close: () => undefined,
  } as unknown as KubeClient;
  return { kube, put, remove: (name: string) => secrets.delete(name) };
}

const remote = (secret: string, server = "https://remote.test:6443") => ({
  server,
  kubeconfigSecretRef: { name: secret, namespace: "ns" },
});

describe("DestinationResolver", () => {
  let closed: number;
  beforeEach(() => {
    closed = 0;
    jest.spyOn(KubeClient.prototype, "close").mockImplementation(function (this: KubeClient) {
      closed++;
    });
  });
  afterEach(() => jest.restoreAllMocks());

  it("shares a remote destination between holders and closes it when the last one goes", async () => {
    const local = localCluster();
    local.put("kc", "https://remote.test:6443");
    const r = new DestinationResolver(local.kube);
    const a = await r.resolve(remote("kc"), "vr-a");
    expect(await r.resolve(remote("kc"), "vr-b")).toBe(a);
    expect(r.size).toBe(1);
    r.release("vr-a");
    expect(r.size).toBe(1);
    expect(closed).toBe(0);
    r.release("vr-b");
    expect(r.size).toBe(0);
    expect(closed).toBe(1);
    r.close();
  });

  it("lets go of the old destination when a holder moves to another or to the local cluster", async () => {
    const local = localCluster();
    local.put("kc-1", "https://one.test:6443");
    local.put("kc-2", "https://two.test:6443");
    const r = new DestinationResolver(local.kube);
    await r.resolve(remote("kc-1", "https://one.test:6443"), "vr-a");
    await r.resolve(remote("kc-2", "https://two.test:6443"), "vr-a");
    expect(r.size).toBe(1);
    expect(closed).toBe(1);
    expect(await r.resolve(undefined, "vr-a")).toBe(r.local);
    expect(r.size).toBe(0);
    expect(closed).toBe(2);
  });

  it("drops the clients of a rotated kubeconfig and of deleted Secrets", async () => {
    const local = localCluster();
    local.put("kc", "https://remote.test:6443");
    const r = new DestinationResolver(local.kube);
    const first = await r.resolve(remote("kc"), "vr-a");
    local.put("kc", "https://remote.test:6443"); // a new resourceVersion
    const second = await r.resolve(remote("kc"), "vr-a");
    expect(second).not.toBe(first);
    expect(r.size).toBe(1);
    local.remove("kc");
    await expect(r.resolve(remote("kc"), "vr-a")).rejects.toThrow();
    r.release("vr-a");
    expect(r.size).toBe(0);
  });

  it("returns to empty after thousands of VidraResources and Secrets came and went", async () => {
    const local = localCluster();
    const r = new DestinationResolver(local.kube);
    for (let i = 0; i < 2000; i++) {
      local.put(`kc-${i}`, `https://c${i % 17}.test:6443`);
      await r.resolve(remote(`kc-${i}`, `https://c${i % 17}.test:6443`), `vr-${i}`);
      if (i >= 10) {
        r.release(`vr-${i - 10}`);
        local.remove(`kc-${i - 10}`);
      }
    }
    expect(r.size).toBe(10);
    for (let i = 1990; i < 2000; i++) r.release(`vr-${i}`);
    expect(r.size).toBe(0);
    expect(closed).toBe(2000);
  });
});
