/**
 * The simulator sends webhooks like infrahub-server 1.11.9: body, headers, signature (checked with
 * the standardwebhooks reference library), retries, filters, and the control API that drives them.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import {
  pythonCompactJson,
  startInfrahubSimulator,
  type InfrahubSimulator,
} from "../../hack/infrahub-sim";

interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
  path: string;
}

let sim: InfrahubSimulator;
let server: Server;
let url: string;
const received: Received[] = [];
let answer = 200;
const KEY = "shared key ✓";

async function eventually<T>(
  fn: () => T | undefined,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", c => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks), path: req.url ?? "" });
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>(r => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sim = await startInfrahubSimulator({
    controlApi: true,
    seed: {
      definitions: [{ name: "Wébserver_Def", artifactName: "Web" }],
      branches: [{ name: "dev" }],
    },
  });
});
afterAll(async () => {
  await sim.stop();
  await new Promise(r => server.close(r));
});
beforeEach(() => {
  received.length = 0;
  answer = 200;
  for (const w of sim.listWebhooks()) sim.removeWebhook(w.name);
  sim.clearWebhookDeliveries();
  sim.setWebhookDelivery({ retries: 3, retryDelayMs: 120_000, delayMs: 0 });
});

test("an artifact creation and update are posted as Infrahub posts them, signed", async () => {
  sim.configureWebhook({ name: "vidra", url: `${url}/hook`, sharedKey: KEY, eventType: "all" });
  const created = sim.upsertArtifact("main", {
    definition: "Wébserver_Def",
    target: { label: "web-01" },
    content: "kind: Namespace\n",
  });
  const updated = sim.setArtifactContent("main", created.id, "kind: Namespace # v2\n");
  sim.setArtifactContent("main", created.id, "kind: Namespace # v2\n"); // same content: no event
  sim.setArtifactStatus("main", created.id, "Error"); // status only: no event
  await eventually(() => (received.length >= 2 ? true : undefined), "two deliveries");
  await new Promise(r => setTimeout(r, 200));
  expect(received).toHaveLength(2);

  const reference = new Webhook(Buffer.from(KEY, "utf8"), { format: "raw" });
  const bodies = received.map(r => {
    expect(r.path).toBe("/hook");
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.headers.accept).toBe("application/json");
    expect(r.headers["webhook-id"]).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(r.headers["webhook-timestamp"]).toMatch(/^\d+$/);
    const text = r.body.toString("utf8");
    // The wire carries UTF-8; the signature covers Python's ASCII-escaped form.
    expect(text).toContain("Wébserver_Def");
    const signed = pythonCompactJson(JSON.parse(text));
    expect(signed).toContain("W\\u00e9bserver_Def");
    expect(() => reference.verify(signed, r.headers as Record<string, string>)).not.toThrow();
    expect(() => reference.verify(text, r.headers as Record<string, string>)).toThrow();
    return JSON.parse(text);
  });
  expect(Object.keys(bodies[0])).toEqual([
    "data",
    "id",
    "branch",
    "account_id",
    "occured_at",
    "event",
  ]);
  expect(bodies[0]).toMatchObject({
    event: "infrahub.artifact.created",
    branch: "main",
    account_id: null,
    data: {
      node_id: created.id,
      artifact_definition_name: "Wébserver_Def",
      target_id: created.targetId,
      target_kind: "KubernetesWebserver",
      checksum: created.checksum,
      checksum_previous: null,
      storage_id: created.storageId,
      storage_id_previous: null,
    },
  });
  expect(bodies[0].occured_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
  expect(bodies[1]).toMatchObject({
    event: "infrahub.artifact.updated",
    data: {
      checksum: updated.checksum,
      checksum_previous: created.checksum,
      storage_id_previous: created.storageId,
    },
  });
  expect(bodies[0].id).not.toBe(bodies[1].id);
});

test("a failed delivery is retried with a new webhook-id and timestamp, then given up", async () => {
  answer = 500;
  sim.setWebhookDelivery({ retries: 3, retryDelayMs: 50 });
  sim.configureWebhook({ name: "down", url, sharedKey: KEY });
  const a = sim.upsertArtifact("main", {
    definition: "Wébserver_Def",
    target: { label: "web-02" },
    content: "a: 1\n",
  });
  await eventually(() => (sim.webhookDeliveries().length >= 4 ? true : undefined), "four attempts");
  await new Promise(r => setTimeout(r, 300));
  const attempts = sim.webhookDeliveries();
  expect(attempts.map(d => [d.attempt, d.status])).toEqual([
    [1, 500],
    [2, 500],
    [3, 500],
    [4, 500],
  ]);
  expect(new Set(attempts.map(d => d.eventId)).size).toBe(1);
  expect(new Set(attempts.map(d => d.webhookId)).size).toBe(4);
  expect(new Set(received.map(r => JSON.parse(r.body.toString()).data.node_id))).toEqual(
    new Set([a.id]),
  );
});

test("a delivery that succeeds is not retried; Infrahub's defaults are 3 retries 120 s apart", async () => {
  expect(sim.webhookDeliveryOptions()).toMatchObject({
    retries: 3,
    retryDelayMs: 120_000,
    timeoutMs: 10_000,
  });
  answer = 204;
  sim.setWebhookDelivery({ retryDelayMs: 10 });
  sim.configureWebhook({ name: "ok", url, sharedKey: KEY });
  sim.upsertArtifact("main", {
    definition: "Wébserver_Def",
    target: { label: "web-03" },
    content: "a: 1\n",
  });
  await eventually(() => (received.length ? true : undefined), "a delivery");
  await new Promise(r => setTimeout(r, 200));
  expect(sim.webhookDeliveries().map(d => d.status)).toEqual([204]);
});

test("branch scope, event type and node kind filter deliveries; no key means no signature", async () => {
  sim.configureWebhook({ name: "default", url: `${url}/default`, sharedKey: KEY });
  sim.configureWebhook({
    name: "others",
    url: `${url}/others`,
    sharedKey: KEY,
    branchScope: "other_branches",
  });
  sim.configureWebhook({
    name: "created",
    url: `${url}/created`,
    branchScope: "all_branches",
    eventType: "infrahub.artifact.created",
  });
  sim.configureWebhook({
    name: "nodes",
    url: `${url}/nodes`,
    sharedKey: KEY,
    branchScope: "all_branches",
    eventType: "infrahub.artifact.created",
    nodeKind: "CoreGraphQLQuery",
  });
  // With event type "all", node_kind still filters (seen on a real 1.11.9: an `all` webhook for
  // CoreArtifact gets artifact and CoreArtifact node events, nothing else).
  sim.configureWebhook({
    name: "all-queries",
    url: `${url}/all-queries`,
    branchScope: "other_branches",
    nodeKind: "CoreGraphQLQuery",
  });
  sim.configureWebhook({
    name: "all-artifacts",
    url: `${url}/all-artifacts`,
    branchScope: "other_branches",
    nodeKind: "CoreArtifact",
  });
  sim.configureWebhook({ name: "off", url: `${url}/off`, sharedKey: KEY, active: false });
  const m = sim.upsertArtifact("main", {
    definition: "Wébserver_Def",
    target: { label: "web-04" },
    content: "a: 1\n",
  });
  sim.upsertArtifact("dev", {
    definition: "Wébserver_Def",
    target: { label: "web-05" },
    content: "a: 1\n",
  });
  sim.setArtifactContent("main", m.id, "a: 2\n");
  await eventually(() => (received.length >= 6 ? true : undefined), "six deliveries");
  await new Promise(r => setTimeout(r, 200));
  const seen = received
    .map(
      r =>
        `${r.path} ${JSON.parse(r.body.toString()).branch} ${JSON.parse(r.body.toString()).event.split(".").pop()}`,
    )
    .sort();
  expect(seen).toEqual([
    "/all-artifacts dev created",
    "/created dev created",
    "/created main created",
    "/default main created",
    "/default main updated",
    "/others dev created",
  ]);
  const unsigned = received.filter(r => r.path === "/created");
  expect(unsigned.every(r => r.headers["webhook-signature"] === undefined)).toBe(true);
});

test("the control API configures webhooks and delivery and shows what was sent", async () => {
  const control = (path: string, method = "GET", body?: unknown) =>
    fetch(`${sim.url}/__sim/${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(async r => ({ status: r.status, json: await r.json() }));
  expect(
    (
      await control("webhooks", "POST", {
        name: "cli",
        url,
        sharedKey: KEY,
        branchScope: "all_branches",
      })
    ).json,
  ).toMatchObject({ name: "cli", sharedKey: "***" });
  expect(
    (await control("webhooks/delivery", "PUT", { retryDelayMs: 5, delayMs: 1 })).json,
  ).toMatchObject({
    retries: 3,
    retryDelayMs: 5,
    delayMs: 1,
  });
  expect((await control("webhooks/delivery", "PUT", { retries: -1 })).status).toBe(400);
  expect((await control("webhooks", "POST", { name: "bad", url: "ftp://x" })).status).toBe(400);
  expect((await control("webhooks")).json).toEqual([
    expect.objectContaining({ name: "cli", sharedKey: "***" }),
  ]);
  await fetch(`${sim.url}/__sim/artifacts/web-01/content`, {
    method: "PUT",
    body: "changed: true\n",
  });
  await eventually(() => (received.length ? true : undefined), "a delivery");
  const deliveries = (await control("webhooks/deliveries")).json as Array<Record<string, unknown>>;
  expect(deliveries).toEqual([
    expect.objectContaining({ webhook: "cli", event: "infrahub.artifact.updated", status: 200 }),
  ]);
  expect((await control("webhooks/cli", "DELETE")).json).toEqual([]);
  expect((await control("webhooks/cli", "DELETE")).status).toBe(404);
});
