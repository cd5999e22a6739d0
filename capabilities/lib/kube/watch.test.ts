import { createServer, type IncomingMessage, type ServerResponse, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeClient, type KubeObject } from "./client";
import { Watcher, type WatchEventType } from "./watch";

/**
 * A scripted API server: LISTs answer `items` at `listRv`; each WATCH takes the next step of
 * `watches` (events to send, then how the connection ends).
 */
interface WatchStep {
  status?: number;
  lines?: unknown[];
  end: "close" | "hang" | "cut";
}

let server: Server;
let base: string;
let items: KubeObject[] = [];
let listRv = "10";
let watches: WatchStep[] = [];
let requests: string[] = [];
let watchTimes: number[] = [];
const open = new Set<ServerResponse>();

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(req.url ?? "");
    if (req.url?.includes("watch=1")) watchTimes.push(performance.now());
    const url = new URL(req.url ?? "", "http://x");
    if (url.searchParams.get("watch") !== "1") {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ metadata: { resourceVersion: listRv }, items }));
      return;
    }
    const step = watches.shift() ?? { end: "hang" };
    res.writeHead(step.status ?? 200, { "Content-Type": "application/json" });
    for (const l of step.lines ?? []) res.write(`${JSON.stringify(l)}\n`);
    if (step.end === "close") res.end();
    else if (step.end === "cut") res.socket?.destroy();
    else open.add(res);
  });
  await new Promise<void>(r => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const r of open) r.socket?.destroy();
  server.closeAllConnections();
  await new Promise(r => server.close(r));
});

beforeEach(() => {
  items = [];
  listRv = "10";
  watches = [];
  requests = [];
  watchTimes = [];
});

const cm = (name: string, rv: string, data: Record<string, string> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "ns", uid: `uid-${name}`, resourceVersion: rv },
  data,
});

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise(r => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function watcher(events: Array<[WatchEventType, string]>, opts = {}): Watcher {
  const kube = new KubeClient({ server: base, origin: "test" }, { maxAttempts: 1 });
  const w = new Watcher(kube, "/api/v1/namespaces/ns/configmaps", {
    onEvent: (t, o) => events.push([t, o.metadata?.name ?? ""]),
    baseDelayMs: 50,
    maxDelayMs: 50,
    random: () => 0.5,
    ...opts,
  });
  const stop = w.stop.bind(w);
  w.stop = async () => {
    await stop();
    kube.close();
  };
  return w;
}

const watchRequests = () =>
  requests.filter(r => r.includes("watch=1")).map(r => new URL(r, "http://x").searchParams);

test("resumes from the last resourceVersion (bookmarks included) after the server ends a watch", async () => {
  items = [cm("a", "5")];
  watches = [
    {
      lines: [
        { type: "MODIFIED", object: cm("a", "11") },
        { type: "BOOKMARK", object: { kind: "ConfigMap", metadata: { resourceVersion: "15" } } },
      ],
      end: "close",
    },
  ];
  const events: Array<[WatchEventType, string]> = [];
  const w = watcher(events);
  await w.start();
  await until(() => watchRequests().length >= 2, "a second watch");
  await w.stop();
  const [first, second] = watchRequests();
  expect(first.get("resourceVersion")).toBe("10");
  expect(first.get("allowWatchBookmarks")).toBe("true");
  expect(second.get("resourceVersion")).toBe("15");
  expect(events).toEqual([["MODIFIED", "a"]]);
  // Only one LIST: resuming does not relist.
  expect(requests.filter(r => !r.includes("watch=1"))).toHaveLength(1);
});

test("410 Gone relists and reports what was deleted meanwhile", async () => {
  items = [cm("a", "5"), cm("b", "6")];
  watches = [{ lines: [{ type: "ERROR", object: { kind: "Status", code: 410 } }], end: "close" }];
  const events: Array<[WatchEventType, string]> = [];
  const w = watcher(events);
  await w.start();
  items = [cm("a", "20")];
  listRv = "21";
  await until(() => watchRequests().length >= 2, "the watch after the relist");
  await w.stop();
  expect(events).toEqual([
    ["MODIFIED", "a"],
    ["DELETED", "b"],
  ]);
  expect(watchRequests()[1].get("resourceVersion")).toBe("21");
});

test("ERROR events and cut connections pause with backoff instead of reconnecting in a loop", async () => {
  watches = Array.from({ length: 50 }, (_, i) =>
    i % 2
      ? { end: "cut" as const }
      : {
          lines: [{ type: "ERROR", object: { code: 500, message: "boom" } }],
          end: "close" as const,
        },
  );
  // random 1 → the full 200 ms every time; a timer never fires early, so the gaps are lower bounds.
  const w = watcher([], { baseDelayMs: 200, maxDelayMs: 200, random: () => 1 });
  await w.start();
  await until(() => watchTimes.length >= 5, "five watch attempts");
  await w.stop();
  const gaps = watchTimes.slice(1, 5).map((t, i) => t - watchTimes[i]);
  for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(190);
});

test("a connection silent for longer than the idle timeout is dropped and resumed", async () => {
  items = [cm("a", "5")];
  watches = [{ lines: [{ type: "MODIFIED", object: cm("a", "12") }], end: "hang" }];
  const events: Array<[WatchEventType, string]> = [];
  const w = watcher(events, { idleTimeoutMs: 300 });
  await w.start();
  await until(() => watchRequests().length >= 2, "a new watch after the silent one");
  await w.stop();
  expect(watchRequests()[1].get("resourceVersion")).toBe("12");
});

test("keeps no object content (a Secret's data never stays in memory)", async () => {
  items = [cm("a", "5", { password: "hunter2" })];
  // kubectl's client-side apply copies the whole object, data included, into an annotation.
  const applied = cm("b", "11", { token: "s3cret" });
  applied.metadata!.annotations = {
    "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify(applied),
    team: "blue",
  };
  watches = [{ lines: [{ type: "ADDED", object: applied }], end: "hang" }];
  const initial: KubeObject[] = [];
  const w = watcher([], { onInitialList: (list: KubeObject[]) => initial.push(...list) });
  await w.start();
  await until(() => w.snapshot().length === 2, "both objects known");
  const kept = JSON.stringify(w.snapshot());
  await w.stop();
  expect(initial[0].data).toEqual({ password: "hunter2" });
  expect(kept).not.toContain("hunter2");
  expect(kept).not.toContain("s3cret");
  expect(kept).toContain("uid-b");
  expect(w.snapshot().find(o => o.metadata?.name === "b")?.metadata?.annotations).toEqual({
    team: "blue",
  });
});
