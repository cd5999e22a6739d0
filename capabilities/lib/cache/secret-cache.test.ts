import { createServer, type IncomingMessage, type ServerResponse, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeClient } from "../kube/client";
import { getSecret } from "../sync/secrets";
import type { SecretObject } from "../sync/secrets";
import { cachedSecrets, SecretCache } from "./secret-cache";

/**
 * A small API server for Secrets: LIST and WATCH with a field selector on the name or a label
 * selector, in one namespace or all; watches stay open and get every later change that matches.
 * Namespace "locked" answers 403.
 */
let server: Server;
let base: string;
let rv = 100;
let secrets: Map<string, SecretObject>;
let requests: string[];
let watches: Set<{ res: ServerResponse; matches: (s: SecretObject) => boolean }>;
/** Every change, so a watch from resourceVersion N gets what happened after N (as etcd does). */
let history: Array<{ type: string; object: SecretObject }>;

function matcher(url: URL): (s: SecretObject) => boolean {
  const ns = /\/namespaces\/([^/]+)\//.exec(url.pathname)?.[1];
  const field = url.searchParams.get("fieldSelector");
  const label = url.searchParams.get("labelSelector");
  return s =>
    (!ns || s.metadata?.namespace === ns) &&
    (!field || field === `metadata.name=${s.metadata?.name}`) &&
    (!label || s.metadata?.labels?.[label.split("=")[0]] === label.split("=")[1]);
}

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(req.url ?? "");
    const url = new URL(req.url ?? "", "http://x");
    if (url.pathname.includes("/namespaces/locked/")) {
      res.writeHead(403, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", reason: "Forbidden", code: 403, message: "no" }));
      return;
    }
    const matches = matcher(url);
    res.writeHead(200, { "Content-Type": "application/json" });
    if (url.searchParams.get("watch") !== "1") {
      res.end(
        JSON.stringify({
          metadata: { resourceVersion: String(rv) },
          items: [...secrets.values()].filter(matches),
        }),
      );
      return;
    }
    const from = Number(url.searchParams.get("resourceVersion") ?? rv);
    for (const e of history)
      if (Number(e.object.metadata?.resourceVersion) > from && matches(e.object))
        res.write(`${JSON.stringify(e)}\n`);
    const w = { res, matches };
    watches.add(w);
    res.on("close", () => watches.delete(w));
  });
  await new Promise<void>(r => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise(r => server.close(r));
});

beforeEach(() => {
  secrets = new Map();
  requests = [];
  watches = new Set();
  history = [];
});

function put(ns: string, name: string, password: string, labels?: Record<string, string>): void {
  const s: SecretObject = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: ns, resourceVersion: String(++rv), labels },
    data: { password: Buffer.from(password).toString("base64") },
  };
  const type = secrets.has(`${ns}/${name}`) ? "MODIFIED" : "ADDED";
  secrets.set(`${ns}/${name}`, s);
  history.push({ type, object: s });
  for (const w of watches)
    if (w.matches(s)) w.res.write(`${JSON.stringify({ type, object: s })}\n`);
}

const password = (s: SecretObject | undefined) =>
  s?.data?.password && Buffer.from(s.data.password, "base64").toString();
const lists = () => requests.filter(r => !r.includes("watch=1"));

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise(r => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function setup(onChange?: (holders: string[]) => void) {
  const kube = new KubeClient({ server: base, origin: "test" }, { maxAttempts: 1 });
  const cache = new SecretCache(kube, { onChange, watcher: { baseDelayMs: 50, maxDelayMs: 50 } });
  return {
    cache,
    async stop() {
      await cache.stop();
      kube.close();
    },
  };
}

test("a referenced Secret is listed once, then read from its watch; a rotation is seen at once", async () => {
  put("ns", "creds", "one");
  put("ns", "unrelated", "not-for-us");
  const changed: string[][] = [];
  const { cache, stop } = setup(h => changed.push(h));
  try {
    const src = cachedSecrets(cache, "sync-a");
    expect(password(await src.get("ns", "creds"))).toBe("one");
    expect(password(await src.get("ns", "creds"))).toBe("one");
    expect(lists()).toHaveLength(1);
    expect(new URL(lists()[0], "http://x").searchParams.get("fieldSelector")).toBe(
      "metadata.name=creds",
    );
    put("ns", "creds", "two");
    await until(() => changed.length > 0, "the change");
    expect(changed[0]).toEqual(["sync-a"]);
    expect(password(await src.get("ns", "creds"))).toBe("two");
    expect(lists()).toHaveLength(1);
  } finally {
    await stop();
  }
});

test("one watch per Secret, shared by its holders, closed when the last holder lets go", async () => {
  put("ns", "creds", "one");
  put("ns", "other", "x");
  const { cache, stop } = setup();
  try {
    await cachedSecrets(cache, "a").get("ns", "creds");
    await cachedSecrets(cache, "b").get("ns", "creds");
    expect(cache.watches).toBe(1);
    // b's next round reads another Secret: it lets go of the first, which a still holds.
    cache.beginRound("b");
    await cachedSecrets(cache, "b").get("ns", "other");
    cache.endRound("b");
    expect(cache.watches).toBe(2);
    cache.release("a");
    expect(cache.watches).toBe(1);
    cache.release("b");
    expect(cache.watches).toBe(0);
    // A replica that stops leading closes them all at once.
    await cachedSecrets(cache, "c").get("ns", "creds");
    await cachedSecrets(cache, "d").get("ns", "other");
    cache.releaseAll();
    expect(cache.watches).toBe(0);
    await until(() => watches.size === 0, "the watches to close");
  } finally {
    await stop();
  }
});

test("a missing Secret is absent (after the LIST), and its creation reaches the holder", async () => {
  const changed: string[][] = [];
  const { cache, stop } = setup(h => changed.push(h));
  try {
    await expect(getSecret(cachedSecrets(cache, "s"), "ns", "later", "ref")).rejects.toMatchObject({
      reason: "SecretNotFound",
    });
    put("ns", "later", "pw");
    await until(() => changed.length > 0, "the creation");
    expect(password(await cachedSecrets(cache, "s").get("ns", "later"))).toBe("pw");
  } finally {
    await stop();
  }
});

test("a watch that cannot start is dropped, and its read fails with the reason", async () => {
  const { cache, stop } = setup();
  try {
    await expect(
      getSecret(cachedSecrets(cache, "s"), "locked", "creds", "ref"),
    ).rejects.toMatchObject({ reason: "SecretForbidden" });
    expect(cache.watches).toBe(0);
  } finally {
    await stop();
  }
});

test("label lookups watch only the labelled Secrets", async () => {
  put("a", "x", "1", { "infrahub-api-url": "infrahub.test" });
  put("b", "y", "2", { "infrahub-api-url": "other.test" });
  put("b", "z", "3");
  const { cache, stop } = setup();
  try {
    const found = await cachedSecrets(cache, "s").labelled("infrahub-api-url", "infrahub.test");
    expect(found.map(s => s.metadata?.name)).toEqual(["x"]);
    expect(new URL(lists()[0], "http://x").pathname).toBe("/api/v1/secrets");
    put("b", "w", "4", { "infrahub-api-url": "infrahub.test" });
    let names: string[] = [];
    for (let i = 0; i < 500 && names.length < 2; i++) {
      await new Promise(r => setTimeout(r, 10));
      const again = await cachedSecrets(cache, "s").labelled("infrahub-api-url", "infrahub.test");
      names = again.map(s => s.metadata?.name ?? "").sort();
    }
    expect(names).toEqual(["w", "x"]);
    expect(lists()).toHaveLength(1);
  } finally {
    await stop();
  }
});
