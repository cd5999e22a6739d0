/**
 * Push sync end to end: the simulator posts Infrahub's webhooks to the operator's receiver (HTTPS,
 * the module's certificate, the cluster CA trusted), and a change lands with a poll interval of
 * ten minutes, so only the webhook can explain it. Every kind of bad request is refused with its
 * status, counted, and triggers nothing; events that cannot concern a sync trigger nothing either.
 */
import { createHmac } from "node:crypto";
import { eventually } from "../support/cluster";
import { WEBSERVER_DEFINITION, syncJson, webserverManifest } from "../support/fixtures";
import {
  createInfrahubSecret,
  getJson,
  metric,
  waitForCondition,
  type Json,
} from "../support/operator-client";
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import { artifactEventBody, createWebhookKeySecret, postWebhook, signedHeaders } from "./helpers";

const KEY = "push-test-shared-key";
const OTHER_DEFINITION = { name: "Other_Definition", artifactName: "Other_Manifest" };
const PINNED_DEFINITION = { name: "Pinned_Definition", artifactName: "Pinned_Manifest" };

let env: OperatorEnv;
let web1: string;
let web2: string;
let other: string;
let pinned: string;
let pinnedAt: string;

const creds = { credentialsSecretRef: { name: "infrahub", namespace: "default" } };

function replicas(target: string): number | undefined {
  const r = env.kubectlResult(["get", "deployment", "-n", `ns-${target}`, target, "-o", "json"]);
  return r.code === 0 ? JSON.parse(r.stdout).spec.replicas : undefined;
}

function waitForReplicas(target: string, n: number, timeoutMs = 60_000): Promise<true> {
  return eventually(async () => replicas(target) === n || undefined, {
    timeoutMs,
    what: `deployment ${target} with ${n} replicas`,
  });
}

const outcome = (o: string) => metric(env, "vidra_webhook_requests_total", { outcome: o });
const infrahubRequests = () => Object.values(env.sim.requestCounts()).reduce((a, b) => a + b, 0);
const status = (name: string): Json => getJson(env, ["get", "infrahubsync", name]).status ?? {};

beforeAll(async () => {
  env = await startOperatorEnv({
    name: "push",
    sim: {
      seed: {
        users: [{ username: "admin", password: "infrahub" }],
        definitions: [WEBSERVER_DEFINITION, OTHER_DEFINITION, PINNED_DEFINITION],
        artifacts: ["web-01", "web-02"]
          .map(label => ({
            definition: WEBSERVER_DEFINITION.name,
            target: { label },
            content: webserverManifest(label),
          }))
          .concat(
            {
              definition: OTHER_DEFINITION.name,
              target: { label: "other-01" },
              content: webserverManifest("other-01"),
            },
            {
              definition: PINNED_DEFINITION.name,
              target: { label: "pinned-01" },
              content: webserverManifest("pinned-01"),
            },
          ),
        branches: [{ name: "dev" }],
      },
    },
  });
  const id = (label: string) =>
    env.sim.listArtifacts("main").find(a => a.targetLabel === label)!.id;
  [web1, web2, other, pinned] = ["web-01", "web-02", "other-01", "pinned-01"].map(id);
  await new Promise(r => setTimeout(r, 1100));
  pinnedAt = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  createInfrahubSecret(env);
  createWebhookKeySecret(env, "infrahub-sim", env.sim.url, KEY);
  createWebhookKeySecret(env, "infrahub-b", "https://infrahub-b.example.com", "key-b");
  const poll = { pollInterval: "10m" };
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("web", { source: { infrahubAPIURL: env.sim.url, ...creds }, ...poll }),
  );
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("other-dev", {
      source: {
        infrahubAPIURL: env.sim.url,
        targetBranch: "dev",
        artefactName: "Other_Manifest",
        ...creds,
      },
      ...poll,
    }),
  );
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("other-pinned", {
      source: {
        infrahubAPIURL: env.sim.url,
        targetDate: pinnedAt,
        artefactName: "Pinned_Manifest",
        ...creds,
      },
      ...poll,
    }),
  );
  for (const name of ["web", "other-dev", "other-pinned"])
    await waitForCondition(env, `infrahubsync/${name}`, "Ready", "True");
  await waitForReplicas("web-01", 1);
  // The simulator sends to the receiver as Infrahub would: HTTPS, certificate checked.
  env.sim.configureWebhook({
    name: "vidra",
    url: `${env.module.webhookUrl}/webhooks/infrahub/infrahub-sim`,
    sharedKey: KEY,
    eventType: "all",
    branchScope: "all_branches",
    nodeKind: "CoreArtifact",
    validateCertificates: true,
    caPem: env.cluster.cp.details.caPem,
  });
}, 300_000);

afterAll(async () => {
  await env?.stop();
});

test("a change in Infrahub reaches the cluster through a signed webhook, with a 10-minute poll", async () => {
  env.sim.setArtifactContent("main", web1, webserverManifest("web-01", { replicas: 3 }));
  await waitForReplicas("web-01", 3);
  const delivery = env.sim.webhookDeliveries().find(d => d.status === 202);
  expect(delivery).toBeDefined();
  const s = await eventually(
    async () => {
      const st = status("web");
      return st.lastWebhook?.eventId === delivery!.eventId && st.lastWebhook.fetchedAt
        ? st
        : undefined;
    },
    { what: "status.lastWebhook" },
  );
  expect(s.lastWebhook).toMatchObject({
    eventId: delivery!.eventId,
    event: "infrahub.artifact.updated",
    artifactId: web1,
    result: "Changed",
    coalesced: 1,
  });
  expect(s.lastSyncTrigger).toBe("Webhook");
  const events = getJson(env, [
    "get",
    "events",
    "-n",
    "default",
    "--field-selector",
    "involvedObject.kind=InfrahubSync,involvedObject.name=web,reason=WebhookTriggered",
  ]).items.map((e: Json) => e.message);
  expect(events).toEqual(
    expect.arrayContaining([
      expect.stringContaining(`triggered by Infrahub webhook ${delivery!.eventId}`),
    ]),
  );
  expect(await outcome("accepted")).toBeGreaterThanOrEqual(1);
});

test("a burst of changes is answered by few fetches and ends with the last content", async () => {
  for (let i = 4; i <= 8; i++)
    env.sim.setArtifactContent("main", web1, webserverManifest("web-01", { replicas: i }));
  await waitForReplicas("web-01", 8);
  const s = await eventually(async () => {
    const st = status("web");
    return st.lastWebhook?.result === "Changed" || st.lastWebhook?.result === "Unchanged"
      ? st
      : undefined;
  });
  expect(s.lastSyncTrigger).toBe("Webhook");
});

test("events for another branch, a pinned sync or an artifact no sync holds trigger nothing", async () => {
  const triggersBefore = await metric(env, "vidra_webhook_sync_triggers_total");
  const unmatchedBefore = await outcome("unmatched");
  const devBefore = status("other-dev").lastWebhook;
  const pinnedBefore = status("other-pinned").lastWebhook;
  // other-01 changes on main, but other-dev reads dev; pinned-01 changes, but other-pinned reads
  // main as it was.
  env.sim.setArtifactContent("main", other, webserverManifest("other-01", { replicas: 5 }));
  env.sim.setArtifactContent("main", pinned, webserverManifest("pinned-01", { replicas: 5 }));
  await eventually(async () => (await outcome("unmatched")) >= unmatchedBefore + 2 || undefined, {
    what: "both events to be received and matched to no sync",
  });
  // An update of an artifact no sync holds, of a definition no sync was seen to use, signed
  // correctly: accepted, and it costs no request.
  const before = infrahubRequests();
  const unknown = artifactEventBody({
    artifactId: "not-an-artifact-anyone-holds",
    definitionName: "Definition_No_Sync_Uses",
  });
  const res = await postWebhook(
    env,
    "infrahub-sim",
    JSON.stringify(unknown),
    signedHeaders(KEY, unknown),
  );
  expect(res).toEqual({ status: 202, json: { status: "accepted", event: unknown.id, syncs: 0 } });
  await new Promise(r => setTimeout(r, 1500));
  expect(infrahubRequests()).toBe(before);
  expect(await metric(env, "vidra_webhook_sync_triggers_total")).toBe(triggersBefore);
  expect(status("other-dev").lastWebhook).toEqual(devBefore);
  expect(status("other-pinned").lastWebhook).toEqual(pinnedBefore);
  expect(replicas("other-01")).toBe(1);
  expect(replicas("pinned-01")).toBe(1);

  // The same artifact changing on dev does reach the dev sync.
  env.sim.setArtifactContent("dev", other, webserverManifest("other-01", { replicas: 2 }));
  await waitForReplicas("other-01", 2);
  expect(status("other-dev").lastWebhook).toMatchObject({ artifactId: other, result: "Changed" });
  expect(status("other-pinned").lastWebhook).toEqual(pinnedBefore);
});

test("unsigned, wrongly signed, stale, replayed, oversized and malformed requests are refused, counted, and trigger nothing", async () => {
  env.sim.removeWebhook("vidra");
  env.sim.setArtifactContent("main", web2, webserverManifest("web-02", { replicas: 7 }));
  const counts: Record<string, number> = {};
  for (const o of [
    "unsigned",
    "bad_signature",
    "stale",
    "replayed",
    "too_large",
    "malformed",
    "unknown_source",
  ])
    counts[o] = await outcome(o);
  const requestsBefore = infrahubRequests();
  const body = artifactEventBody({ artifactId: web2 });
  const text = JSON.stringify(body);

  const cases: Array<[string, Promise<{ status: number }>, number]> = [
    ["unsigned", postWebhook(env, "infrahub-sim", text), 401],
    [
      "bad_signature",
      postWebhook(env, "infrahub-sim", text, signedHeaders("wrong-key", body)),
      401,
    ],
    // Signed with infrahub-b's key but sent as infrahub-sim: a key only speaks for its own Infrahub.
    ["bad_signature", postWebhook(env, "infrahub-sim", text, signedHeaders("key-b", body)), 401],
    [
      "stale",
      postWebhook(env, "infrahub-sim", text, signedHeaders(KEY, body, Date.now() - 6 * 60_000)),
      401,
    ],
    [
      "too_large",
      postWebhook(env, "infrahub-sim", "x".repeat(70_000), signedHeaders(KEY, "x")),
      413,
    ],
    [
      "malformed",
      postWebhook(env, "infrahub-sim", '{"id": 1}', { ...signedHeadersFor('{"id": 1}') }),
      400,
    ],
    ["unknown_source", postWebhook(env, "nobody", text, signedHeaders(KEY, body)), 404],
  ];
  for (const [what, res, code] of cases) expect([what, (await res).status]).toEqual([what, code]);
  await new Promise(r => setTimeout(r, 2000));
  expect(replicas("web-02")).toBe(1);
  expect(infrahubRequests()).toBe(requestsBefore);
  const expected = {
    unsigned: 1,
    bad_signature: 2,
    stale: 1,
    too_large: 1,
    malformed: 1,
    unknown_source: 1,
  };
  for (const [o, n] of Object.entries(expected))
    expect([o, (await outcome(o)) - counts[o]]).toEqual([o, n]);

  // The same event, correctly signed, is let through once; its replay is refused.
  const headers = signedHeaders(KEY, body);
  expect((await postWebhook(env, "infrahub-sim", text, headers)).status).toBe(202);
  expect((await postWebhook(env, "infrahub-sim", text, headers)).status).toBe(401);
  expect((await outcome("replayed")) - counts.replayed).toBe(1);
  await waitForReplicas("web-02", 7);
});

test("an event signed with another Infrahub's key and sent to its endpoint concerns only that Infrahub", async () => {
  const body = artifactEventBody({ artifactId: web1, type: "infrahub.artifact.created" });
  const res = await postWebhook(
    env,
    "infrahub-b",
    JSON.stringify(body),
    signedHeaders("key-b", body),
  );
  expect(res).toEqual({ status: 202, json: { status: "accepted", event: body.id, syncs: 0 } });
});

/** Signature headers over raw text (for bodies that are not JSON objects). */
function signedHeadersFor(text: string): Record<string, string> {
  const id = `msg_${Date.now()}`;
  const ts = String(Math.floor(Date.now() / 1000));
  const mac = createHmac("sha256", KEY).update(`${id}.${ts}.${text}`).digest("base64");
  return { "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": `v1,${mac}` };
}
