import { KubeClient } from "../kube/client";
import { getSecret } from "../sync/secrets";
import type { SecretObject } from "../sync/secrets";
import { FakeSecretApi, until } from "./fake-secret-api";
import { cachedSecrets, SecretCache } from "./secret-cache";

let api: FakeSecretApi;

beforeEach(async () => {
  api = await new FakeSecretApi().start();
});

afterEach(async () => {
  await api.stop();
});

const put = (ns: string, name: string, password: string, labels?: Record<string, string>) =>
  api.put(ns, name, { password }, labels);

const password = (s: SecretObject | undefined) =>
  s?.data?.password && Buffer.from(s.data.password, "base64").toString();
const lists = () => api.lists;

function setup(onChange?: (holders: string[]) => void) {
  const kube = new KubeClient({ server: api.base, origin: "test" }, { maxAttempts: 1 });
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
    await until(() => api.watches.size === 0, "the watches to close");
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

test("a replica that stepped down keeps no watch a round still running opens, until it resumes", async () => {
  put("ns", "creds", "one");
  const { cache, stop } = setup();
  try {
    cache.releaseAll();
    // A reconcile that was running when the lease was lost still reads: it gets the Secret...
    cache.beginRound("late");
    expect(password(await cachedSecrets(cache, "late").get("ns", "creds"))).toBe("one");
    expect(cache.watches).toBe(1);
    // ...and its watch closes with the round.
    cache.endRound("late");
    expect(cache.watches).toBe(0);
    await until(() => api.watches.size === 0, "the watch to close");
    cache.resume();
    cache.beginRound("s");
    await cachedSecrets(cache, "s").get("ns", "creds");
    cache.endRound("s");
    expect(cache.watches).toBe(1);
  } finally {
    await stop();
  }
});
