/**
 * Sharding: two watchers, one owning shard key `a` and the unlabelled syncs, the other key `b`,
 * each electing a leader on a Lease of its own. Each reconciles only its syncs and their
 * VidraResources (which carry their sync's key); a sync moved to the other shard (relabelled) is
 * taken over by that shard, VidraResources and all. The API server's audit log says which watcher
 * wrote what.
 */
import { httpsGet } from "../../hack/control-plane/https-probe";
import { startModule, type RunningModule } from "../../hack/module-runner";
import {
  effectiveWrites,
  readAudit,
  receivedAt,
  replicaOf,
  WRITES_AUDIT_POLICY,
} from "../support/audit";
import { eventually } from "../support/cluster";
import { syncJson } from "../support/fixtures";
import {
  createInfrahubSecret,
  getJson,
  syncNowAndWait,
  waitForCondition,
} from "../support/operator-client";
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";

const KEY = "sharding.infrahub.operators.com/key";
let env: OperatorEnv;
let shardB: RunningModule;
/** sync name → its artifact id (= its VidraResource's name) and namespace. */
const syncs: Record<string, { artifact: string; ns: string; key?: string }> = {
  "sync-a": { artifact: "", ns: "shard-ns-a", key: "a" },
  "sync-b": { artifact: "", ns: "shard-ns-b", key: "b" },
  "sync-none": { artifact: "", ns: "shard-ns-none" },
};

beforeAll(async () => {
  env = await startOperatorEnv({
    name: "sharding",
    cluster: { auditPolicy: WRITES_AUDIT_POLICY },
    moduleEnv: { POD_NAME: "shard-a", VIDRA_SHARD_KEYS: "a", VIDRA_SHARD_UNLABELLED: "true" },
    sim: { seed: { users: [{ username: "admin", password: "infrahub" }] } },
  });
  shardB = await startModule({
    cluster: env.cluster.cp.details,
    env: { POD_NAME: "shard-b", VIDRA_SHARD_KEYS: "b" },
    registerWebhooks: false,
  });
  createInfrahubSecret(env);
}, 300_000);

afterAll(async () => {
  await shardB?.stop();
  await env?.stop();
});

/** Which sync an audited object belongs to, if any. */
function syncOf(e: { objectRef?: { resource?: string; name?: string; namespace?: string } }) {
  const r = e.objectRef ?? {};
  for (const [name, s] of Object.entries(syncs)) {
    if (r.resource === "infrahubsyncs" && r.name === name) return name;
    if (r.resource === "vidraresources" && r.name === s.artifact) return name;
    if (r.namespace === s.ns || (r.resource === "namespaces" && r.name === s.ns)) return name;
  }
  return undefined;
}

/** sync → the replicas that wrote its objects (after `since`). */
function writers(since = 0): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const e of effectiveWrites(readAudit(env.cluster.cp.details.auditLogPath!))) {
    const sync = syncOf(e);
    const replica = replicaOf(e);
    if (!sync || !replica || receivedAt(e) < since) continue;
    (out[sync] ??= new Set()).add(replica);
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v].sort()]));
}

/** The syncs a watcher reports per-sync series for, and their vidra_sync_ready values. */
async function syncSeries(m: RunningModule): Promise<Record<string, number>> {
  const res = await httpsGet(`https://127.0.0.1:${m.port}/metrics`, {
    ca: env.cluster.cp.details.caPem,
  });
  return Object.fromEntries(
    [...res.body.matchAll(/^vidra_sync_ready\{name="([^"]+)"\} (\d+)$/gm)]
      .map(x => [x[1], +x[2]] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** Waits until the watcher's per-sync series are exactly `expected`. */
const seriesBecome = (m: RunningModule, expected: Record<string, number>) =>
  eventually(async () => JSON.stringify(await syncSeries(m)) === JSON.stringify(expected), {
    what: `per-sync series ${JSON.stringify(expected)}`,
    timeoutMs: 60_000,
  });

test("each shard's watcher leads its own Lease and reconciles only its syncs and their VidraResources", async () => {
  const holders = await eventually(
    async () => {
      const leases = getJson(env, ["get", "leases", "-n", "pepr-system"]).items as Array<{
        metadata: { name: string };
        spec: { holderIdentity?: string };
      }>;
      const by = Object.fromEntries(leases.map(l => [l.metadata.name, l.spec.holderIdentity]));
      return by["vidra-pepr-leader-a-unlabelled"]?.startsWith("shard-a_") &&
        by["vidra-pepr-leader-b"]?.startsWith("shard-b_")
        ? by
        : undefined;
    },
    { what: "one leader per shard Lease" },
  );
  expect(Object.keys(holders)).not.toContain("vidra-pepr-leader");

  for (const [name, s] of Object.entries(syncs)) {
    const definition = `Shard_${name}`;
    env.sim.upsertDefinition({ name: definition, artifactName: `${definition}_Manifest` });
    s.artifact = env.sim.upsertArtifact("main", {
      definition,
      target: { label: name },
      content:
        `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${s.ns} }\n---\n` +
        `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm, namespace: ${s.ns} }\ndata: { sync: ${name} }\n`,
    }).id;
    const sync = JSON.parse(
      syncJson(name, {
        source: {
          infrahubAPIURL: env.sim.url,
          artefactName: `${definition}_Manifest`,
          discovery: "GraphQL",
          credentialsSecretRef: { name: "infrahub", namespace: "default" },
        },
        pollInterval: "1h",
      }),
    );
    if (s.key) sync.metadata.labels = { [KEY]: s.key };
    env.kubectl(["apply", "-f", "-"], JSON.stringify(sync));
  }
  for (const name of Object.keys(syncs)) {
    await waitForCondition(env, `infrahubsync/${name}`, "Ready", "True", { timeoutMs: 120_000 });
    const vr = getJson(env, ["get", "vidraresource", syncs[name].artifact]);
    expect(vr.metadata.labels?.[KEY]).toBe(syncs[name].key);
    expect(getJson(env, ["get", "configmap", "cm", "-n", syncs[name].ns]).data.sync).toBe(name);
  }
  expect(writers()).toEqual({
    "sync-a": ["shard-a"],
    "sync-b": ["shard-b"],
    "sync-none": ["shard-a"],
  });
  // Per-sync series come from the watcher that reconciles the sync, and only from it.
  await seriesBecome(env.module, { "sync-a": 1, "sync-none": 1 });
  await seriesBecome(shardB, { "sync-b": 1 });
});

test("a sync relabelled to another shard is taken over by that shard, VidraResources and all", async () => {
  env.kubectl(["label", "--overwrite", "infrahubsync", "sync-b", `${KEY}=a`]);
  const vrName = syncs["sync-b"].artifact;
  await eventually(
    async () => getJson(env, ["get", "vidraresource", vrName]).metadata.labels?.[KEY] === "a",
    { what: "sync-b's VidraResource to follow it to shard a", timeoutMs: 120_000 },
  );
  const movedAt = Date.now();
  await syncNowAndWait(env, "sync-b");
  await waitForCondition(env, `infrahubsync/sync-b`, "Ready", "True", { timeoutMs: 120_000 });
  env.kubectl([
    "annotate",
    "--overwrite",
    "vidraresource",
    vrName,
    `infrahub.operators.com/sync-now=${Date.now()}`,
  ]);
  await waitForCondition(env, `vidraresource/${vrName}`, "Ready", "True", { timeoutMs: 120_000 });
  await new Promise(r => setTimeout(r, 3_000));
  const after = writers(movedAt);
  expect(after["sync-b"]).toEqual(["shard-a"]);
  // The relabel itself was written by shard a (its fetch stored the VidraResource anew).
  expect(writers()["sync-b"]).toEqual(["shard-a", "shard-b"]);
  expect(getJson(env, ["get", "configmap", "cm", "-n", "shard-ns-b"]).data.sync).toBe("sync-b");
  // Its series left shard b with it: nothing stale there.
  await seriesBecome(shardB, {});
  await seriesBecome(env.module, { "sync-a": 1, "sync-b": 1, "sync-none": 1 });
});
