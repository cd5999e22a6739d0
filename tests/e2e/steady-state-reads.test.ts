/**
 * Zero API-server reads at steady state: with a dozen syncs polling every 2 s and nothing changing
 * in Infrahub, the operator reads its InfrahubSyncs, VidraResources, credentials Secrets and
 * ConfigMaps from its watch-fed caches, never with a GET or LIST (watches are allowed). The API
 * server's audit log is the witness. A rotated credentials Secret still reaches the next poll, and
 * a status written from a stale cached object is refused by its resourceVersion precondition.
 */
import { patchCachedStatus, StaleReadError } from "../../capabilities/lib/cache/conditional-status";
import { ObjectCache } from "../../capabilities/lib/cache/object-cache";
import type { InfrahubSyncObject } from "../../capabilities/lib/sync/resources";
import { infrahubSyncPath } from "../../capabilities/lib/sync/resources";
import { readAudit, receivedAt, startedWatches, type AuditEvent } from "../support/audit";
import { eventually } from "../support/cluster";
import { syncJson, webserverManifest } from "../support/fixtures";
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import {
  condition,
  getJson,
  metric,
  waitForCondition,
  applyInfrahubSecret,
} from "../support/operator-client";

const GROUP = "infrahub.operators.com";
const WATCHED = [
  { group: "", resources: ["secrets", "configmaps"] },
  { group: GROUP, resources: ["infrahubsyncs", "vidraresources"] },
];
/** Reads and writes of the four collections, at metadata level (no Secret data in the log). */
const READS_AUDIT_POLICY = {
  apiVersion: "audit.k8s.io/v1",
  kind: "Policy",
  omitStages: ["RequestReceived"],
  rules: [
    {
      level: "Metadata",
      verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
      resources: WATCHED,
    },
    { level: "None" },
  ],
};

const SYNCS = 12;
const names = Array.from({ length: SYNCS }, (_, i) => `steady-${String(i).padStart(2, "0")}`);
/** Half the syncs use one Secret, half the other: two watches, each shared. */
const secretOf = (i: number) => (i % 2 === 0 ? "creds-even" : "creds-odd");

let env: OperatorEnv;

beforeAll(async () => {
  env = await startOperatorEnv({
    name: "steady",
    cluster: { auditPolicy: READS_AUDIT_POLICY },
    sim: { seed: { users: [{ username: "admin", password: "infrahub" }] } },
  });
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

/** Requests the operator (not kubectl, not the control plane's own components) sent. */
function operatorRequests(from: number, to: number): AuditEvent[] {
  return readAudit(env.cluster.cp.details.auditLogPath!).filter(e => {
    const user = (e as AuditEvent & { user?: { username?: string } }).user?.username;
    const t = receivedAt(e);
    return user === "admin" && !/^kubectl\//.test(e.userAgent ?? "") && t >= from && t <= to;
  });
}

const describe = (e: AuditEvent) =>
  `${e.verb} ${e.requestURI} (${e.userAgent ?? "no user agent"}) -> ${e.responseStatus?.code}`;

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const graphqlRequests = () => env.sim.requestCounts()["POST /graphql"] ?? 0;
/** Polls, counted per sync: batching makes one GraphQL request serve a whole group of syncs. */
const syncReconciles = () =>
  metric(env, "controller_runtime_reconcile_total", { controller: "infrahubsync" });

test("a dozen syncs at a 2 s poll: no GET or LIST of their collections, only watches", async () => {
  applyInfrahubSecret(env, "creds-even", "infrahub");
  applyInfrahubSecret(env, "creds-odd", "infrahub");
  for (const [i, name] of names.entries()) {
    env.sim.upsertDefinition({ name: `${name}_Definition`, artifactName: `${name}_Manifest` });
    env.sim.upsertArtifact("main", {
      definition: `${name}_Definition`,
      target: { label: name },
      content: webserverManifest(name),
    });
    env.kubectl(
      ["apply", "-f", "-"],
      syncJson(name, {
        source: {
          infrahubAPIURL: env.sim.url,
          artefactName: `${name}_Manifest`,
          discovery: "GraphQL",
          credentialsSecretRef: { name: secretOf(i), namespace: "default" },
        },
        pollInterval: "2s",
      }),
    );
  }
  for (const name of names)
    await waitForCondition(env, `infrahubsync/${name}`, "Ready", "True", { timeoutMs: 180_000 });

  // Settle: the first polls after Ready may still read what the watch had not shown yet.
  const settled = await syncReconciles();
  await eventually(async () => (await syncReconciles()) >= settled + 2 * SYNCS, {
    timeoutMs: 120_000,
    what: "two more polls per sync",
  });

  const from = Date.now();
  const polledBefore = await syncReconciles();
  const requestsBefore = graphqlRequests();
  await sleep(12_000);
  const to = Date.now();
  // Still polling all along (so zero reads is not zero work): at least 3 polls per sync, and
  // Infrahub asked (one request per group of syncs sharing address, credentials and branch).
  expect((await syncReconciles()) - polledBefore).toBeGreaterThanOrEqual(3 * SYNCS);
  expect(graphqlRequests() - requestsBefore).toBeGreaterThanOrEqual(3);
  await sleep(2_000); // the audit log is written when each request completes
  const seen = operatorRequests(from, to);
  const reads = seen.filter(e => e.verb === "get" || e.verb === "list");
  expect(reads.map(describe)).toEqual([]);
  // The witness works: the operator's watches of these collections are in the same log (a watch
  // is logged when its response starts; it completes only when it ends).
  const watches = startedWatches(env.cluster.cp.details.auditLogPath!);
  expect(
    watches.some(
      e =>
        e.objectRef?.resource === "secrets" &&
        /fieldSelector=metadata\.name%3Dcreds-even/.test(e.requestURI),
    ),
  ).toBe(true);
  expect(watches.some(e => e.objectRef?.resource === "infrahubsyncs")).toBe(true);
  expect(watches.some(e => e.objectRef?.resource === "vidraresources")).toBe(true);
}, 600_000);

test("a rotated credentials Secret is used at the next poll, through the watch", async () => {
  const from = Date.now();
  // A wrong password: only the new content can make these syncs fail.
  applyInfrahubSecret(env, "creds-odd", "not-the-password");
  const odd = names.filter((_, i) => secretOf(i) === "creds-odd");
  for (const name of odd)
    await waitForCondition(env, `infrahubsync/${name}`, "Ready", "False", {
      reason: "AuthenticationFailed",
      timeoutMs: 60_000,
    });
  // The others are untouched.
  for (const name of names.filter((_, i) => secretOf(i) === "creds-even"))
    expect(condition(getJson(env, ["get", "infrahubsync", name]), "Ready")?.status).toBe("True");
  // And back: the right password is picked up as well.
  applyInfrahubSecret(env, "creds-odd", "infrahub");
  for (const name of odd)
    await waitForCondition(env, `infrahubsync/${name}`, "Ready", "True", { timeoutMs: 60_000 });
  await sleep(2_000);
  const secretReads = operatorRequests(from, Date.now()).filter(
    e => e.objectRef?.resource === "secrets" && (e.verb === "get" || e.verb === "list"),
  );
  expect(secretReads.map(describe)).toEqual([]);
}, 300_000);

test("a status computed from a stale cached sync is refused by its precondition, not applied", async () => {
  const name = names[0];
  const path = infrahubSyncPath(name);
  const kube = env.cluster.kube;
  const cache = new ObjectCache<InfrahubSyncObject>();
  const stale = await kube.get<InfrahubSyncObject>(path);
  cache.observe("ADDED", structuredClone(stale));
  // Someone else writes after the cache saw the sync (here, a label).
  env.kubectl(["label", "infrahubsync", name, "touched=yes"]);
  const lastError = "written from a stale cache";
  await expect(patchCachedStatus(kube, path, stale, { lastError }, cache)).rejects.toBeInstanceOf(
    StaleReadError,
  );
  const live = getJson(env, ["get", "infrahubsync", name]);
  expect(live.status?.lastError).not.toBe(lastError);
  // The cache let go of the stale version: the next read is live, and a write from it goes through.
  expect(cache.get(name)).toBeUndefined();
  const fresh = await kube.get<InfrahubSyncObject>(path);
  await patchCachedStatus(kube, path, fresh, { lastError: fresh.status?.lastError ?? "" }, cache);
  env.kubectl(["label", "infrahubsync", name, "touched-"]);
}, 120_000);
