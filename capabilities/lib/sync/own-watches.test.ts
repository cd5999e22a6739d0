import { PassThrough } from "node:stream";
import type { KubeClient, KubeObject } from "../kube/client";
import { nullLogger } from "../logger";
import { OwnWatches } from "./own-watches";

/** A fake API server: LIST answers `items` of the listed collection; each WATCH is a stream. */
function fakeKube(items: Record<string, KubeObject[]>) {
  const lists: string[] = [];
  const streams: Array<{ path: string; stream: PassThrough }> = [];
  const kube = {
    list: async (path: string) => {
      lists.push(path);
      return { items: items[path.split("/").pop()!] ?? [], metadata: { resourceVersion: "1" } };
    },
    transport: {
      openStream: (path: string) => {
        const stream = Object.assign(new PassThrough(), { statusCode: 200 });
        streams.push({ path, stream });
        return { response: Promise.resolve(stream), abort: () => stream.end() };
      },
    },
  } as unknown as KubeClient;
  const send = (plural: string, type: string, object: KubeObject) => {
    for (const s of streams.filter(s => s.path.includes(`/${plural}?`)))
      s.stream.write(`${JSON.stringify({ type, object })}\n`);
  };
  return { kube, lists, streams, send };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise(r => setTimeout(r, 5));
  expect(check()).toBe(true);
};

test("watches the kinds asked for, once each, and gives LIST items their apiVersion and kind", async () => {
  const { kube, lists, streams, send } = fakeKube({
    infrahubsyncs: [{ metadata: { name: "s1", uid: "u1", resourceVersion: "1" } }],
    vidraresources: [{ metadata: { name: "v1", uid: "u2", resourceVersion: "1" } }],
  });
  const seen: Array<[string, string, KubeObject]> = [];
  const w = new OwnWatches(
    kube,
    {
      onInfrahubSync: (o, t) => seen.push(["sync", t, o]),
      onVidraResource: (o, t) => seen.push(["vr", t, o]),
      onConfigMap: (o, t) => seen.push(["cm", t, o]),
    },
    nullLogger,
  );
  try {
    w.start(["InfrahubSync", "VidraResource"]);
    w.start(["InfrahubSync"]);
    await until(() => seen.length === 2);
    expect(lists.filter(p => p.endsWith("/infrahubsyncs"))).toHaveLength(1);
    expect(lists.some(p => p.endsWith("/configmaps"))).toBe(false);
    const sync = seen.find(s => s[0] === "sync")!;
    expect(sync[1]).toBe("ADDED");
    expect(sync[2]).toMatchObject({
      apiVersion: "infrahub.operators.com/v1alpha1",
      kind: "InfrahubSync",
      metadata: { name: "s1" },
    });
    expect(seen.find(s => s[0] === "vr")?.[2].kind).toBe("VidraResource");

    // Later events reach the same handlers; a take-over adds only what was not watched yet.
    await until(() => streams.some(s => s.path.includes("/infrahubsyncs?")));
    send("infrahubsyncs", "MODIFIED", {
      apiVersion: "infrahub.operators.com/v1alpha1",
      kind: "InfrahubSync",
      metadata: { name: "s1", uid: "u1", resourceVersion: "2" },
    });
    await until(() => seen.length === 3);
    expect(seen[2].slice(0, 2)).toEqual(["sync", "MODIFIED"]);
    w.start();
    await until(() => lists.some(p => p.endsWith("/configmaps")));
    expect(lists.filter(p => p.endsWith("/infrahubsyncs"))).toHaveLength(1);
    expect(w.kinds.sort()).toEqual(["ConfigMap", "InfrahubSync", "VidraResource"]);
  } finally {
    await w.stop();
  }
});
