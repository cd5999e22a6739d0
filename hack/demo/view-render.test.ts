import type { Snapshot } from "./snapshot";
import { age, renderView, truncateAnsi, type ViewContext } from "./view-render";

const now = new Date("2026-01-01T12:00:30Z");

const ctx = (over: Partial<ViewContext> = {}): ViewContext => ({
  mode: "local",
  server: "https://127.0.0.1:6443",
  kubeconfig: "/tmp/demo/kubeconfig",
  infrahubUrl: "http://127.0.0.1:8000",
  simulator: {
    branches: ["main", "feature-scale"],
    artifact: () => ({ checksum: "aaaaaaaa11", target: "web-01" }),
  },
  modulePort: 3123,
  moduleLog: "/tmp/m/module.log",
  admission: true,
  syncName: "sync-test-webserver",
  pollInterval: "5s",
  startedAt: new Date("2026-01-01T12:00:00Z"),
  hints: ["npm run demo:edit -- web-01 replicas=5"],
  ...over,
});

const snapshot = (): Snapshot => ({
  at: now,
  syncs: [
    {
      name: "sync-test-webserver",
      url: "http://127.0.0.1:8000",
      branch: "main",
      artifact: "Webserver_Manifest",
      pollInterval: "5s",
      state: "Succeeded",
      current: true,
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "Synced",
          message: "1 artifact(s) from branch main applied",
        },
        { type: "Stalled", status: "False", reason: "Synced", message: "" },
      ],
      lastSyncTime: "2026-01-01T12:00:27Z",
      nextSyncTime: "2026-01-01T12:00:32Z",
      lastError: "",
      artifacts: [
        {
          id: "art-1",
          target: "",
          checksum: "aaaaaaaa11",
          status: "Ready",
          vidraResource: "art-1",
          message: "",
        },
      ],
    },
  ],
  resources: [
    {
      name: "art-1",
      sync: "sync-test-webserver",
      target: "",
      state: "Succeeded",
      ready: { type: "Ready", status: "True", reason: "Applied", message: "" },
      current: true,
      managedCount: 2,
      conflicts: [],
    },
  ],
  objects: [
    {
      namespace: "ns-web-01",
      rows: [
        {
          ref: "namespace/ns-web-01",
          cells: [
            ["STATUS", "Active"],
            ["AGE", "20s"],
          ],
          missing: false,
        },
        {
          ref: "deployment.apps/web-01",
          cells: [
            ["READY", "0/2"],
            ["UP-TO-DATE", "0"],
            ["AGE", "20s"],
          ],
          missing: false,
        },
      ],
    },
  ],
  events: [
    {
      time: "2026-01-01T12:00:20Z",
      type: "Normal",
      reason: "Applied",
      object: "VidraResource/art-1",
      message: "2 object(s) applied",
      count: 3,
    },
  ],
});

test("shows the sync's conditions and artifacts, the applied objects per namespace, events and hints", () => {
  const text = renderView(snapshot(), ctx(), { color: false, ages: true, now }).join("\n");
  expect(text).toContain(
    "InfrahubSync sync-test-webserver  main / Webserver_Manifest  every 5s  state Succeeded",
  );
  expect(text).toMatch(/Ready\s+True\s+Synced\s+1 artifact\(s\) from branch main applied/);
  expect(text).toMatch(/last change 3s ago · next poll in 2s/);
  // The target comes from the simulator when the stored query returns none.
  expect(text).toMatch(/web-01\s+aaaaaaaa\s+art-1\s+Succeeded\s+True\s+2/);
  expect(text).toMatch(
    /\n {2}namespace\/ns-web-01 {3}STATUS Active {3}AGE 20s\n {4}deployment\.apps\/web-01 +READY 0\/2 {3}UP-TO-DATE 0 {3}AGE 20s\n/,
  );
  expect(text).toMatch(
    /10s\s+Normal\s+Applied\s+VidraResource\/art-1\s+2 object\(s\) applied \(x3\)/,
  );
  expect(text).toContain("admission webhooks registered");
  expect(text).toContain("npm run demo:edit -- web-01 replicas=5");
  expect(text).not.toContain("\x1b[");
});

test("without a next poll time, says how often it polls", () => {
  const s = snapshot();
  s.syncs[0].nextSyncTime = undefined;
  expect(renderView(s, ctx(), { color: false, ages: true, now }).join("\n")).toContain(
    "last change 3s ago · polls every 5s, writing nothing when nothing changed",
  );
});

test("flags an artifact that changed in Infrahub and is not applied yet", () => {
  const changed = ctx({
    simulator: {
      branches: ["main"],
      artifact: () => ({ checksum: "bbbbbbbb22", target: "web-01" }),
    },
  });
  expect(renderView(snapshot(), changed, { color: false, ages: true, now }).join("\n")).toContain(
    "changed in Infrahub, next poll applies it",
  );
});

test("says whether the last change came by push or by poll, and where the webhooks go", () => {
  const s = snapshot();
  s.syncs[0].lastSyncTrigger = "Webhook";
  s.syncs[0].lastWebhook = {
    eventId: "5f0c2b2e-5d2b-4f0c-9c55-3f1d2b7a9e10",
    receivedAt: "2026-01-01T12:00:26.800Z",
    fetchedAt: "2026-01-01T12:00:27.012Z",
    result: "Changed",
  };
  const pushed = ctx({
    push: { endpoint: "https://127.0.0.1:4444/webhooks/infrahub/infrahub-sim" },
  });
  const text = renderView(s, pushed, { color: false, ages: true, now }).join("\n");
  expect(text).toContain(
    "push      Infrahub webhooks → https://127.0.0.1:4444/webhooks/infrahub/infrahub-sim",
  );
  expect(text).toContain(
    "last change 3s ago by push (webhook 5f0c2b2e, fetched 212 ms after it arrived)",
  );
  expect(renderView(s, pushed, { color: false, ages: false, now }).join("\n")).toContain(
    "  last change by push (webhook 5f0c2b2e, fetched 212 ms after it arrived)",
  );
  s.syncs[0].lastSyncTrigger = "Poll";
  const polled = renderView(s, ctx(), { color: false, ages: true, now }).join("\n");
  expect(polled).toContain("last change 3s ago by poll");
  expect(polled).toContain("push      off: changes arrive by polling");
});

test("without ages the text does not change with the clock (the plain output prints on change only)", () => {
  const a = renderView(snapshot(), ctx(), { color: false, ages: false, now }).join("\n");
  const b = renderView(snapshot(), ctx(), {
    color: false,
    ages: false,
    now: new Date(now.getTime() + 65_000),
  }).join("\n");
  expect(a).toBe(b);
  expect(a).not.toMatch(/AGE|up \d/);
});

test("a namespace the manifest does not create is still a heading; on a short terminal the events give way", () => {
  const s = snapshot();
  s.objects[0].rows.shift();
  const full = renderView(s, ctx(), { color: false, ages: true, now });
  expect(full.join("\n")).toMatch(/\n {2}namespace\/ns-web-01\n {4}deployment\.apps\/web-01/);
  const short = renderView(s, ctx(), { color: false, ages: true, now, height: full.length - 1 });
  expect(short.join("\n")).not.toContain("Recent events");
  expect(short.join("\n")).toContain("npm run demo:edit -- web-01 replicas=5");
  expect(renderView(s, ctx(), { color: false, ages: true, now, height: full.length })).toEqual(
    full,
  );
});

test("remote mode says admission is not enforced", () => {
  const text = renderView(
    snapshot(),
    ctx({ mode: "remote", admission: false, simulator: undefined }),
    { color: false, ages: false, now },
  ).join("\n");
  expect(text).toContain(
    "admission NOT enforced in this mode (no webhooks; deploy with `npx pepr deploy` for that)",
  );
  expect(text).toMatch(/^ {2}-\s+aaaaaaaa/m);
});

test("a sync not yet in the cluster, an unreadable cluster and a pending sync are shown as such", () => {
  const empty: Snapshot = { at: now, syncs: [], resources: [], objects: [], events: [] };
  expect(renderView(empty, ctx(), { color: false, ages: false, now }).join("\n")).toMatch(
    /InfrahubSync sync-test-webserver: not in the cluster[\s\S]*none yet/,
  );
  const broken: Snapshot = { ...empty, error: "connect ECONNREFUSED 127.0.0.1:6443" };
  expect(renderView(broken, ctx(), { color: false, ages: false, now }).join("\n")).toContain(
    "cannot read the cluster: connect ECONNREFUSED",
  );
  const pending = snapshot();
  pending.syncs[0] = { ...pending.syncs[0], current: false, conditions: [] };
  expect(renderView(pending, ctx(), { color: false, ages: false, now }).join("\n")).toMatch(
    /not yet reconciled[\s\S]*Ready\s+Unknown\s+Waiting/,
  );
});

test("with colour, states are coloured and lines are cut to the width without breaking escapes", () => {
  const lines = renderView(snapshot(), ctx(), { color: true, ages: true, now, width: 40 });
  expect(lines.join("\n")).toContain("\x1b[32mTrue\x1b[0m");
  const visible = (l: string): string =>
    l
      .split("\x1b[")
      .map((part, i) => (i === 0 ? part : part.replace(/^[0-9;?]*[A-Za-z]/, "")))
      .join("");
  for (const l of lines) expect(visible(l).length).toBeLessThanOrEqual(40);
});

test("truncateAnsi keeps short lines and ends cut ones with an ellipsis and a reset", () => {
  expect(truncateAnsi("short", 10)).toBe("short");
  expect(truncateAnsi("abcdefghij", 5)).toBe("abcd…");
  expect(truncateAnsi("\x1b[31mabcdefghij\x1b[0m", 5)).toBe("\x1b[31mabcd…\x1b[0m");
});

test("age reads like kubectl's", () => {
  const t = (s: number): Date => new Date(now.getTime() - s * 1000);
  expect([
    age(t(5), now),
    age(t(150), now),
    age(t(180), now),
    age(t(8000), now),
    age(undefined, now),
  ]).toEqual(["5s", "2m30s", "3m", "2h13m", "-"]);
});
