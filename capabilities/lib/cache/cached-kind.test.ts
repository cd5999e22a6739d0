import type { KubeClient } from "../kube/client";
import { KubeApiError } from "../kube/errors";
import { CachedKind } from "./cached-kind";
import { patchCachedStatus, StaleReadError } from "./conditional-status";
import { ObjectCache } from "./object-cache";

interface Obj {
  kind?: string;
  metadata: { name: string; resourceVersion?: string; labels?: Record<string, string> };
  status?: { n?: number };
}

/** A fake API server of one collection, counting reads; writes check resourceVersion preconditions. */
function fakeKube(objects: Map<string, Obj>) {
  const reads: string[] = [];
  let rv = 10;
  const kube = {
    getOptional: async (path: string) => {
      reads.push(`GET ${path}`);
      const o = objects.get(path.split("/").pop()!);
      return o && structuredClone(o);
    },
    list: async (path: string, q: { labelSelector?: string }) => {
      reads.push(`LIST ${path}?${q.labelSelector}`);
      const [k, v] = (q.labelSelector ?? "=").split("=");
      return {
        items: [...objects.values()]
          .filter(o => o.metadata.labels?.[k] === v)
          .map(o => structuredClone(o)),
      };
    },
    mergePatch: async (path: string, body: { metadata?: { resourceVersion?: string } } & Obj) => {
      const o = objects.get(path.split("/").slice(-2)[0]);
      if (!o) throw new KubeApiError("gone", { status: 404 });
      if (
        body.metadata?.resourceVersion &&
        body.metadata.resourceVersion !== o.metadata.resourceVersion
      )
        throw new KubeApiError("conflict", { status: 409, apiReason: "Conflict" });
      o.status = { ...o.status, ...body.status };
      o.metadata.resourceVersion = String(++rv);
      return structuredClone(o);
    },
  } as unknown as KubeClient;
  return { kube, reads };
}

const obj = (name: string, rv: string, labels: Record<string, string> = {}): Obj => ({
  kind: "Thing",
  metadata: { name, resourceVersion: rv, labels },
  status: { n: 0 },
});

test("reads hit the cache once it knows; misses and incomplete selections are read live", async () => {
  const objects = new Map([["a", obj("a", "1", { s: "1" })]]);
  const { kube, reads } = fakeKube(objects);
  const cache = new ObjectCache<Obj>();
  const kind = new CachedKind<Obj>(kube, "/apis/g/v/things", cache);
  expect((await kind.get("a"))?.metadata.name).toBe("a");
  expect(await kind.list({ s: "1" })).toHaveLength(1);
  expect(reads).toEqual(["GET /apis/g/v/things/a", "LIST /apis/g/v/things?s=1"]);
  // From now on: no reads.
  await kind.get("a");
  await kind.list({ s: "1" });
  expect(reads).toHaveLength(2);
  // A miss is never taken for "gone": it is asked live.
  expect(await kind.get("b")).toBeUndefined();
  expect(reads).toHaveLength(3);
  // Callers get copies.
  const copy = (await kind.get("a"))!;
  copy.status = { n: 99 };
  expect(cache.get("a")?.status?.n).toBe(0);
});

test("without a cache every read is live", async () => {
  const { kube, reads } = fakeKube(new Map([["a", obj("a", "1")]]));
  const kind = new CachedKind<Obj>(kube, "/apis/g/v/things");
  await kind.get("a");
  await kind.get("a");
  expect(reads).toHaveLength(2);
});

test("a status write from a stale cache is refused, and the next read is live", async () => {
  const objects = new Map([["a", obj("a", "1")]]);
  const { kube, reads } = fakeKube(objects);
  const cache = new ObjectCache<Obj>();
  cache.observe("ADDED", obj("a", "1"));
  const kind = new CachedKind<Obj>(kube, "/apis/g/v/things", cache);
  // Someone else writes; the watch has not told the cache yet.
  objects.get("a")!.metadata.resourceVersion = "2";
  objects.get("a")!.status = { n: 5 };
  const stale = (await kind.get("a"))!;
  await expect(
    patchCachedStatus(kube, "/apis/g/v/things/a", stale, { n: 1 }, cache),
  ).rejects.toBeInstanceOf(StaleReadError);
  expect(objects.get("a")!.status).toEqual({ n: 5 });
  expect(cache.get("a")).toBeUndefined();
  const fresh = (await kind.get("a"))!;
  expect(reads).toEqual(["GET /apis/g/v/things/a"]);
  await patchCachedStatus(kube, "/apis/g/v/things/a", fresh, { n: 1 }, cache);
  expect(objects.get("a")!.status).toEqual({ n: 1 });
});

test("a write's answer updates the cache and the object, so the next write is conditioned on it", async () => {
  const objects = new Map([["a", obj("a", "1")]]);
  const { kube } = fakeKube(objects);
  const cache = new ObjectCache<Obj>();
  cache.observe("ADDED", obj("a", "1"));
  const kind = new CachedKind<Obj>(kube, "/apis/g/v/things", cache);
  const a = (await kind.get("a"))!;
  await patchCachedStatus(kube, "/apis/g/v/things/a", a, { n: 1 }, cache);
  await patchCachedStatus(kube, "/apis/g/v/things/a", a, { n: 2 }, cache);
  expect(objects.get("a")!.status).toEqual({ n: 2 });
  expect(cache.get("a")?.metadata.resourceVersion).toBe(objects.get("a")!.metadata.resourceVersion);
  // Nothing to change: nothing sent.
  const before = objects.get("a")!.metadata.resourceVersion;
  await patchCachedStatus(kube, "/apis/g/v/things/a", a, { n: 2 }, cache);
  expect(objects.get("a")!.metadata.resourceVersion).toBe(before);
});
