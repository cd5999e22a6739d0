/**
 * Push sync against a real Infrahub 1.11.9: the webhooks of deploy/infrahub/webhooks.graphql,
 * created as a user would (validate_certificates off: the receiver's certificate is signed by the
 * test cluster's CA, which Infrahub does not know), call the operator's receiver, and a change
 * regenerated in Infrahub reaches the cluster by push while the sync polls every 10 minutes.
 * Besides, a webhook with a wrong key is refused and counted, and a third webhook pointed at a
 * capturing endpoint shows the exact requests the real server sends, which must be what the
 * receiver and the simulator assume. Everything happens on a branch of this file's own.
 */
import { randomBytes } from "node:crypto";
import { parseWebhookBody } from "../../capabilities/lib/push/artifact-event";
import { verifySignature } from "../../capabilities/lib/push/signature";
import {
  createShippedWebhooks,
  createStandardWebhook,
  deleteWebhook,
  waitForWebhookAutomations,
} from "../../hack/real-infrahub/webhooks";
import { SEED_PLAN } from "../../hack/real-infrahub/seed";
import { eventually } from "../support/cluster";
import { syncJson } from "../support/fixtures";
import { getJson, metric, waitForCondition, type Json } from "../support/operator-client";
import { createWebhookKeySecret } from "../push/helpers";
import { startCaptureServer, type CapturedRequest } from "./support/capture-server";
import {
  creds,
  deployment,
  startRealEnv,
  testBranch,
  vidraResourcesOf,
  type RealEnv,
  SLOW,
} from "./support/real-env";

const SECRET = "infrahub-real";
const KEY = randomBytes(32).toString("base64url");
const CAPTURE_KEY = randomBytes(32).toString("base64url");
const POLL_MS = 10 * 60_000;

let env: RealEnv;
let branch: string;
let capture: Awaited<ReturnType<typeof startCaptureServer>>;
const webhookIds: string[] = [];
/**
 * When the sync last fetched (its 10-minute poll timer restarts on every fetch, a pushed one too):
 * a change applied before this + 10 min was pushed.
 */
let lastFetchAt = 0;
const untilNextPoll = () => lastFetchAt + POLL_MS - Date.now() - 30_000;
/** The event the first test saw pushed: the second checks the real request that carried it. */
let pushed: { eventId: string; artifactId: string } | undefined;

const outcome = (o: string) => metric(env, "vidra_webhook_requests_total", { outcome: o });
const status = (): Json => getJson(env, ["get", "infrahubsync", "push"]).status ?? {};

function replicas(target: string): number | undefined {
  return deployment(env, `ns-${target}`, target)?.spec.replicas;
}

const bodyOf = (r: CapturedRequest): Json => JSON.parse(r.raw.toString("utf8"));

beforeAll(async () => {
  env = await startRealEnv("ri-webhook");
  capture = await startCaptureServer();
  const { admin, info } = env.ih;
  branch = (await testBranch(admin, "webhook")).name;
  createWebhookKeySecret(env, SECRET, info.url, KEY);
  const suffix = branch.slice(2);
  const receiver = `${env.module.webhookUrl}/webhooks/infrahub/${SECRET}`;
  const shipped = await createShippedWebhooks(admin, {
    url: receiver,
    sharedKey: KEY,
    validateCertificates: false,
    nameSuffix: suffix,
  });
  webhookIds.push(shipped.created, shipped.updated);
  // Each id is kept as soon as it exists, so afterAll deletes whatever was made.
  webhookIds.push(
    await createStandardWebhook(admin, {
      name: `vidra-pepr-wrong-key-${suffix}`,
      eventType: "infrahub.artifact.updated",
      branchScope: "all_branches",
      nodeKind: "CoreArtifact",
      url: receiver,
      sharedKey: `not-${KEY}`,
      validateCertificates: false,
    }),
  );
  webhookIds.push(
    await createStandardWebhook(admin, {
      name: `vidra-pepr-capture-${suffix}`,
      eventType: "all",
      branchScope: "all_branches",
      nodeKind: "CoreArtifact",
      url: `${capture.url}/capture`,
      sharedKey: CAPTURE_KEY,
      validateCertificates: false,
    }),
  );
  await waitForWebhookAutomations(`http://127.0.0.1:${info.ports.prefect}`, webhookIds);

  // The sync is created once Infrahub sends webhooks, so its whole first poll interval is left.
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("push", {
      source: { infrahubAPIURL: info.url, targetBranch: branch, ...creds },
      pollInterval: "10m",
    }),
  );
  await waitForCondition(env, "infrahubsync/push", "Ready", "True", { timeoutMs: SLOW });
  lastFetchAt = Date.now();
  await eventually(async () => replicas("web-01") === SEED_PLAN.targets[0].replicas, {
    what: "web-01 as seeded",
    timeoutMs: SLOW,
  });
}, 30 * 60_000);

afterAll(async () => {
  // Webhooks live in Infrahub, which may outlive this file (`npm run infrahub:up`).
  for (const id of webhookIds)
    await deleteWebhook(env.ih.admin, id).catch((err: Error) =>
      process.stderr.write(`webhook ${id} not deleted: ${err.message}\n`),
    );
  await capture?.stop();
  await env?.stop();
});

test("a target changed and regenerated in Infrahub reaches the cluster by its webhook, with a 10-minute poll", async () => {
  const badBefore = await outcome("bad_signature");
  const acceptedBefore = await outcome("accepted");
  const before = await env.ih.admin.artifactOf("web-01", branch);
  const changeStarted = Date.now();
  const changed = await env.ih.admin.changeTarget("web-01", { replicas: 4 }, branch);

  // Before the sync's next poll; that the change came by push is shown by the status below.
  const budget = untilNextPoll();
  expect(budget).toBeGreaterThan(0);
  await eventually(async () => replicas("web-01") === 4, {
    what: "web-01 scaled to 4 by the webhook",
    timeoutMs: budget,
  });
  const s = await eventually(
    async () => {
      const st = status();
      return st.lastWebhook?.artifactId === changed.id && st.lastWebhook.fetchedAt ? st : undefined;
    },
    { what: "status.lastWebhook for web-01's artifact" },
  );
  expect(s.lastSyncTrigger).toBe("Webhook");
  expect(s.lastWebhook).toMatchObject({
    event: "infrahub.artifact.updated",
    artifactId: before.id,
    result: "Changed",
  });
  expect(s.artifacts.find((a: Json) => a.target === "web-01").checksum).toBe(changed.checksum);
  const eventId: string = s.lastWebhook.eventId;
  pushed = { eventId, artifactId: before.id };
  lastFetchAt = Date.parse(s.lastWebhook.fetchedAt);
  const events = getJson(env, [
    "get",
    "events",
    "-n",
    "default",
    "--field-selector",
    "involvedObject.kind=InfrahubSync,involvedObject.name=push,reason=WebhookTriggered",
  ]).items.map((e: Json) => e.message);
  expect(events).toEqual(
    expect.arrayContaining([expect.stringContaining(`triggered by Infrahub webhook ${eventId}`)]),
  );
  expect(await outcome("accepted")).toBeGreaterThan(acceptedBefore);

  // The id is Infrahub's own event: its event log has it, for this artifact and branch.
  const logged = await env.ih.admin.gql<{ InfrahubEvent: { edges: { node: Json }[] } }>(
    `query($id: String!) { InfrahubEvent(ids: [$id]) { edges { node { id event branch occurred_at primary_node { id kind } } } } }`,
    { id: eventId },
  );
  const ev = logged.InfrahubEvent.edges[0]?.node;
  expect(ev).toMatchObject({
    id: eventId,
    event: "infrahub.artifact.updated",
    branch,
    primary_node: { id: before.id, kind: "CoreArtifact" },
  });

  // The webhook with a wrong key got the same event: refused with 401 and counted.
  await eventually(async () => (await outcome("bad_signature")) > badBefore || undefined, {
    what: "the wrong-key webhook's delivery refused as bad_signature",
    timeoutMs: SLOW,
  });

  // Latency, Infrahub's event → applied to the cluster (reported, not asserted).
  const vr = vidraResourcesOf(env, "push").find(v => v.metadata.name === before.id);
  const occurred = Date.parse(ev.occurred_at);
  const received = Date.parse(s.lastWebhook.receivedAt);
  const fetched = Date.parse(s.lastWebhook.fetchedAt);
  const applied = Date.parse(vr.status.lastSyncTime);
  process.stderr.write(
    `push latency against real Infrahub: event→applied ${applied - occurred} ms ` +
      `(event→received ${received - occurred} ms, received→fetched ${fetched - received} ms, ` +
      `fetched→applied ${applied - fetched} ms); regenerate request→applied ${applied - changeStarted} ms\n`,
  );
  expect(applied).toBeGreaterThanOrEqual(received);
});

test("the real server's requests are what the receiver and the simulator assume", async () => {
  if (!pushed) throw new Error("the first test saw no event pushed");
  const { eventId, artifactId } = pushed;
  // The same event reached every matching webhook, with the same event id.
  const req = await eventually(async () => capture.requests.find(r => bodyOf(r).id === eventId), {
    what: "the capturing webhook's copy of the event",
    timeoutMs: SLOW,
  });
  const h = req.headers;
  expect(req.method).toBe("POST");
  expect(req.path).toBe("/capture");
  expect(h["content-type"]).toBe("application/json");
  expect(h["accept"]).toBe("application/json");
  expect(h["webhook-id"]).toMatch(/^msg_[0-9a-f]{32}$/);
  expect(h["webhook-timestamp"]).toMatch(/^\d{10}$/);
  expect(h["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  // The receiver's own check accepts the raw body with the key Infrahub signed with.
  expect(
    verifySignature({
      headers: {
        id: h["webhook-id"] as string,
        timestamp: h["webhook-timestamp"] as string,
        signature: h["webhook-signature"] as string,
      },
      body: req.raw,
      keys: [Buffer.from(CAPTURE_KEY, "utf8")],
      nowMs: Number(h["webhook-timestamp"]) * 1000,
      toleranceMs: 1000,
    }).id,
  ).toBe(h["webhook-id"]);

  const body = bodyOf(req);
  expect(Object.keys(body).sort()).toEqual(
    ["account_id", "branch", "data", "event", "id", "occured_at"].sort(),
  );
  expect(Object.keys(body.data).sort()).toEqual(
    [
      "artifact_definition_id",
      "artifact_definition_name",
      "checksum",
      "checksum_previous",
      "node_id",
      "storage_id",
      "storage_id_previous",
      "target_id",
      "target_kind",
    ].sort(),
  );
  expect(body).toMatchObject({
    id: eventId,
    event: "infrahub.artifact.updated",
    branch,
    data: {
      node_id: artifactId,
      artifact_definition_name: "Webserver_Artifact_Definition",
      target_kind: "KubernetesWebserver",
    },
  });
  // Python's str() of the time, as the simulator renders it (infrahubOccurredAt).
  expect(body.occured_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
  expect(parseWebhookBody(req.raw)).toEqual({
    kind: "artifact",
    event: {
      id: body.id,
      type: "infrahub.artifact.updated",
      branch,
      artifactId,
      definitionId: body.data.artifact_definition_id,
      definitionName: "Webserver_Artifact_Definition",
      targetId: body.data.target_id,
      checksum: body.data.checksum,
      occurredAt: body.occured_at,
    },
  });
});

test("an artifact created in Infrahub reaches the cluster through the shipped `created` webhook", async () => {
  const { admin } = env.ih;
  const old = await admin.artifactOf("web-03", branch);
  // Deletions send no event (a poll would see them): the sync still holds the old artifact when
  // Infrahub renders a new one for the same target.
  await admin.deleteArtifact(old.id, branch);
  await admin.regenerate(branch);
  const created = await eventually(
    async () => {
      const a = (await admin.artifacts(branch)).find(x => x.target === "web-03");
      return a && a.id !== old.id && a.status === "Ready" && a.checksum ? a : undefined;
    },
    { what: "web-03's artifact rendered again on the branch", timeoutMs: SLOW, intervalMs: 3000 },
  );
  const s = await eventually(
    async () => {
      const st = status();
      return st.lastWebhook?.artifactId === created.id && st.lastWebhook.fetchedAt ? st : undefined;
    },
    {
      what: "status.lastWebhook for the new artifact",
      timeoutMs: untilNextPoll(),
    },
  );
  expect(s.lastWebhook).toMatchObject({ event: "infrahub.artifact.created", result: "Changed" });
  expect(s.lastSyncTrigger).toBe("Webhook");
  expect(s.artifacts.find((a: Json) => a.target === "web-03").id).toBe(created.id);
  await eventually(
    async () => {
      const names = vidraResourcesOf(env, "push").map(v => v.metadata.name);
      return names.includes(created.id) && !names.includes(old.id);
    },
    { what: "the new artifact's VidraResource in place of the old one", timeoutMs: SLOW },
  );
  await eventually(async () => replicas("web-03") === SEED_PLAN.targets[2].replicas, {
    what: "web-03's deployment applied from the new artifact",
    timeoutMs: SLOW,
  });
});

test("a webhook for `all` events filtered on CoreArtifact gets events about artifacts only", async () => {
  // By now it has seen this file's target update, artifact regenerations, a deletion and a
  // creation (and other files' work on their branches): only artifact events and node events of
  // CoreArtifact objects may have come, never the KubernetesWebserver update or branch events.
  await eventually(
    async () => capture.requests.some(r => bodyOf(r).event === "infrahub.artifact.created"),
    { what: "the capturing webhook's copy of the artifact creation", timeoutMs: SLOW },
  );
  const seen = capture.requests.map(r => {
    const b = bodyOf(r);
    return {
      event: String(b.event),
      kind: b.data?.kind ?? (b.data?.target_kind ? "CoreArtifact" : ""),
    };
  });
  process.stderr.write(
    `events the capturing webhook (all, CoreArtifact) received: ${[...new Set(seen.map(e => `${e.event} ${e.kind}`))].join(", ")}\n`,
  );
  expect(seen.filter(e => e.kind !== "CoreArtifact")).toEqual([]);
  expect(seen.map(e => e.event)).toEqual(
    expect.arrayContaining(["infrahub.artifact.updated", "infrahub.artifact.created"]),
  );
});
