import { PassThrough } from "node:stream";
import type { ChangeEntry } from "../apply/types";
import type { KubeClient, KubeObject } from "../kube/client";
import type { ResourceInfo } from "../kube/discovery";
import { nullLogger } from "../logger";
import type { ObjectRef } from "../manifest/types";
import type { Destination } from "./destinations";
import { DriftWatch, writerStamps } from "./drift-watch";

/** A fake API server connection: LIST answers `items`; each WATCH is a stream the test writes to. */
function fakeDestination(key: string, items: KubeObject[] = []) {
  const streams: Array<{ path: string; stream: PassThrough; aborted: boolean }> = [];
  const kube = {
    list: async (path: string) => ({
      items: items.filter(i => path.endsWith(`/${(i.kind ?? "").toLowerCase()}s`)),
      metadata: { resourceVersion: "1" },
    }),
    transport: {
      openStream: (path: string) => {
        const stream = Object.assign(new PassThrough(), { statusCode: 200 });
        const entry = { path, stream, aborted: false };
        streams.push(entry);
        return {
          response: Promise.resolve(stream),
          abort: () => {
            entry.aborted = true;
            stream.end();
          },
        };
      },
    },
  } as unknown as KubeClient;
  const mapper = {
    resolve: async (apiVersion: string, kind: string): Promise<ResourceInfo> => ({
      group: apiVersion.includes("/") ? apiVersion.split("/")[0] : "",
      version: apiVersion.split("/").pop()!,
      kind,
      plural: `${kind.toLowerCase()}s`,
      namespaced: true,
      verbs: ["get", "list", "watch"],
    }),
  };
  const dest = { key, id: key, server: key, kube, mapper } as unknown as Destination;
  /** Sends one watch event on the open watch of `plural`. */
  const send = (plural: string, type: string, object: KubeObject) => {
    const open = streams.filter(s => s.path.includes(`/${plural}?`) && !s.aborted);
    for (const s of open) s.stream.write(`${JSON.stringify({ type, object })}\n`);
  };
  return { dest, streams, send };
}

const cmRef = (name: string): ObjectRef => ({
  apiVersion: "v1",
  group: "",
  version: "v1",
  kind: "ConfigMap",
  namespace: "ns",
  name,
});
const secretRef = (name: string): ObjectRef => ({ ...cmRef(name), kind: "Secret" });

const configMap = (name: string, rv: string, value: string, owners = "vr-a"): KubeObject =>
  ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name,
      namespace: "ns",
      resourceVersion: rv,
      uid: `uid-${name}`,
      annotations: { "vidraresource.infrahub.operators.com/owned-by": owners },
    },
    data: { value },
  }) as KubeObject;

const wrote = (ref: ObjectRef, rv: string): ChangeEntry =>
  ({ ref, action: "configured", subject: ref.name, resourceVersion: rv }) as ChangeEntry;

const settle = () => new Promise(r => setTimeout(r, 20));

describe("DriftWatch", () => {
  let drifts: Array<[string, string]>;
  let drift: DriftWatch;
  beforeEach(() => {
    drifts = [];
    drift = new DriftWatch({ logger: nullLogger, onDrift: (o, r) => drifts.push([o, r]) });
  });
  afterEach(() => drift.stop());

  it("ignores the echo of its own write, drops it once seen, and reports a real change", async () => {
    const f = fakeDestination("local", [configMap("a", "5", "blue")]);
    drift.track("vr-a", f.dest, [cmRef("a")], [wrote(cmRef("a"), "6")], true);
    await settle();
    expect(drift.entries.ownWrites).toBe(1);
    f.send("configmaps", "MODIFIED", configMap("a", "6", "green"));
    await settle();
    expect(drifts).toEqual([]);
    expect(drift.entries.ownWrites).toBe(0);
    f.send("configmaps", "MODIFIED", configMap("a", "7", "red"));
    await settle();
    expect(drifts).toEqual([["vr-a", "ConfigMap/ns/a was changed"]]);
  });

  it("keeps no own writes for owners without events (no watch would ever echo them)", () => {
    const f = fakeDestination("local");
    drift.track("vr-a", f.dest, [cmRef("a")], [wrote(cmRef("a"), "6")], false);
    expect(drift.entries).toEqual({ owners: 1, ownWrites: 0, trackedObjects: 0, hashes: 0 });
    expect(drift.size).toBe(0);
  });

  it("drops own writes of objects no owner tracks any more", async () => {
    const f = fakeDestination("local");
    drift.track(
      "vr-a",
      f.dest,
      [cmRef("a"), cmRef("b")],
      [wrote(cmRef("a"), "6"), wrote(cmRef("b"), "7")],
      true,
    );
    drift.track("vr-b", f.dest, [cmRef("b")], [], true);
    expect(drift.entries.ownWrites).toBe(2);
    // vr-a prunes b from its manifest; vr-b still tracks b.
    drift.track("vr-a", f.dest, [cmRef("a")], [], true);
    expect(drift.entries.ownWrites).toBe(2);
    drift.forget("vr-b");
    expect(drift.entries.ownWrites).toBe(1);
    drift.forget("vr-a");
    expect(drift.entries).toEqual({ owners: 0, ownWrites: 0, trackedObjects: 0, hashes: 0 });
  });

  it("stops a watch, and forgets what it saw, when the last owner that needs it goes", async () => {
    const f = fakeDestination("local", [configMap("a", "5", "blue")]);
    drift.track("vr-a", f.dest, [cmRef("a"), secretRef("s")], [], true);
    drift.track("vr-b", f.dest, [cmRef("a")], [], true);
    await settle();
    expect(drift.size).toBe(2);
    expect(drift.entries.hashes).toBe(1);
    // vr-a no longer has Secrets: the Secret watch stops, the ConfigMap watch is still needed.
    drift.track("vr-a", f.dest, [cmRef("a")], [], true);
    await settle();
    expect(drift.size).toBe(1);
    expect(f.streams.filter(s => s.path.includes("/secrets?")).every(s => s.aborted)).toBe(true);
    drift.forget("vr-a");
    expect(drift.size).toBe(1);
    // Switching events off releases the watch too.
    drift.track("vr-b", f.dest, [cmRef("a")], [], false);
    await settle();
    expect(drift.size).toBe(0);
    expect(drift.entries.hashes).toBe(0);
    expect(f.streams.every(s => s.aborted)).toBe(true);
  });

  it("does not open a watch for an owner forgotten while discovery answered", async () => {
    const f = fakeDestination("local");
    drift.track("vr-a", f.dest, [cmRef("a")], [], true);
    drift.forget("vr-a");
    await settle();
    expect(drift.size).toBe(0);
    expect(f.streams).toEqual([]);
  });

  it("returns to empty after thousands of owners came and went on many destinations", async () => {
    const dests = Array.from({ length: 10 }, (_, i) => fakeDestination(`https://c${i}.test`));
    for (let i = 0; i < 3000; i++) {
      const f = dests[i % dests.length];
      const refs = [cmRef(`cm-${i}`), secretRef(`s-${i}`)];
      drift.track(
        `vr-${i}`,
        f.dest,
        refs,
        refs.map(r => wrote(r, String(i))),
        i % 2 === 0,
      );
      if (i >= 20) drift.forget(`vr-${i - 20}`);
    }
    await settle();
    for (let i = 2980; i < 3000; i++) drift.forget(`vr-${i}`);
    await settle();
    expect(drift.entries).toEqual({ owners: 0, ownWrites: 0, trackedObjects: 0, hashes: 0 });
    expect(drift.size).toBe(0);
  });
});

test("writerStamps keeps who wrote and when, not the field paths", () => {
  expect(
    writerStamps([
      {
        manager: "vidra-pepr",
        operation: "Apply",
        apiVersion: "v1",
        time: "2026-12-05T00:00:00Z",
        fieldsType: "FieldsV1",
        fieldsV1: { "f:data": { "f:a": {} } },
      },
      { manager: "kubectl-edit", operation: "Update", subresource: "status" },
    ]),
  ).toEqual([
    { manager: "vidra-pepr", operation: "Apply", time: "2026-12-05T00:00:00Z" },
    { manager: "kubectl-edit", operation: "Update", subresource: "status" },
  ]);
  expect(writerStamps(undefined)).toEqual([]);
});
