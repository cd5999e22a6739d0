import { dump } from "js-yaml";
import { FakeSecretApi, until } from "../cache/fake-secret-api";
import { SecretCache } from "../cache/secret-cache";
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

describe("DestinationResolver with a watch-fed Secret cache", () => {
  let api: FakeSecretApi;
  let kube: KubeClient;
  let cache: SecretCache;
  let changed: string[][];
  let closed: number;

  beforeEach(async () => {
    api = await new FakeSecretApi().start();
    changed = [];
    closed = 0;
    // Remote clients are only counted (they never connect); the local one really closes.
    const close = KubeClient.prototype.close;
    jest.spyOn(KubeClient.prototype, "close").mockImplementation(function (this: KubeClient) {
      if (this.server === api.base) close.call(this);
      else closed++;
    });
    kube = new KubeClient({ server: api.base, origin: "test" }, { maxAttempts: 1 });
    cache = new SecretCache(kube, {
      onChange: h => changed.push([...h].sort()),
      watcher: { baseDelayMs: 50, maxDelayMs: 50 },
    });
  });

  afterEach(async () => {
    await cache.stop();
    kube.close();
    await api.stop();
    jest.restoreAllMocks();
  });

  const putKc = (name: string, server = "https://remote.test:6443") =>
    api.put("ns", name, { kubeconfig: kubeconfig(server) });

  it("reads the kubeconfig Secret once, then never again while it is unchanged", async () => {
    putKc("kc");
    const r = new DestinationResolver(kube, { secrets: cache });
    const a = await r.resolve(remote("kc"), "vr-a");
    for (let i = 0; i < 5; i++) {
      expect(await r.resolve(remote("kc"), "vr-a")).toBe(a);
      expect(await r.resolve(remote("kc"), "vr-b")).toBe(a);
    }
    // One LIST (the watch's start), no GET: the steady state costs the API server nothing.
    expect(api.lists).toHaveLength(1);
    expect(api.requests.filter(u => u.includes("/secrets/"))).toEqual([]);
    expect(cache.watches).toBe(1);
    r.close();
  });

  it("names the holders when the Secret is rotated, and their next resolve uses new clients", async () => {
    putKc("kc");
    const r = new DestinationResolver(kube, { secrets: cache });
    const first = await r.resolve(remote("kc"), "vr-a");
    await r.resolve(remote("kc"), "vr-b");
    putKc("kc");
    await until(() => changed.length > 0, "the rotation");
    expect(changed[0]).toEqual(["vr-a", "vr-b"]);
    const second = await r.resolve(remote("kc"), "vr-a");
    expect(second).not.toBe(first);
    expect(await r.resolve(remote("kc"), "vr-b")).toBe(second);
    expect(closed).toBe(1);
    expect(r.size).toBe(1);
    expect(api.lists).toHaveLength(1);
    r.close();
  });

  it("reports a deleted Secret as before, keeps watching it, and picks up its re-creation", async () => {
    putKc("kc");
    const r = new DestinationResolver(kube, { secrets: cache });
    await r.resolve(remote("kc"), "vr-a");
    api.remove("ns", "kc");
    await until(() => changed.length > 0, "the deletion");
    expect(changed[0]).toEqual(["vr-a"]);
    const failure = r.resolve(remote("kc"), "vr-a");
    await expect(failure).rejects.toMatchObject({
      reason: "SecretNotFound",
      retryable: true,
      message: "destination.kubeconfigSecretRef: Secret ns/kc does not exist",
    });
    expect(cache.watches).toBe(1);
    putKc("kc");
    await until(() => changed.length > 1, "the re-creation");
    expect(changed[1]).toEqual(["vr-a"]);
    await r.resolve(remote("kc"), "vr-a");
    expect(api.lists).toHaveLength(1);
    r.close();
  });

  it("closes a Secret's watch once no holder uses it (released, moved to another Secret or to the local cluster)", async () => {
    putKc("kc-1", "https://one.test:6443");
    putKc("kc-2", "https://two.test:6443");
    const r = new DestinationResolver(kube, { secrets: cache });
    await r.resolve(remote("kc-1", "https://one.test:6443"), "vr-a");
    await r.resolve(remote("kc-1", "https://one.test:6443"), "vr-b");
    await r.resolve(remote("kc-1", "https://one.test:6443"), "vr-c");
    await r.resolve(remote("kc-2", "https://two.test:6443"), "vr-a");
    expect(cache.watches).toBe(2);
    expect(await r.resolve(undefined, "vr-b")).toBe(r.local);
    expect(cache.watches).toBe(2);
    r.release("vr-c");
    expect(cache.watches).toBe(1);
    r.release("vr-a");
    expect(cache.watches).toBe(0);
    await until(() => api.watches.size === 0, "the watches to close");
    expect(r.size).toBe(0);
    r.close();
  });

  it("finds Vidra's labelled kubeconfig Secret through a label watch", async () => {
    api.put(
      "ns",
      "labelled",
      { kubeconfig: kubeconfig("https://remote.test:6443") },
      { "cluster-kubeconfig": "remote.test" },
    );
    const r = new DestinationResolver(kube, { secrets: cache });
    const dest = await r.resolve({ server: "https://remote.test:6443" }, "vr-a");
    expect(dest.server).toBe("https://remote.test:6443");
    expect(await r.resolve({ server: "https://remote.test:6443" }, "vr-a")).toBe(dest);
    expect(api.lists).toHaveLength(1);
    expect(new URL(api.lists[0], "http://x").searchParams.get("labelSelector")).toBe(
      "cluster-kubeconfig=remote.test",
    );
    r.close();
  });
});
