/**
 * Leader election with two (then three) operator processes against one API server, with the
 * server's audit log as the witness of who wrote what and when (each replica's User-Agent carries
 * its identity):
 * - a standby writes nothing; the leader, killed (SIGKILL) in the middle of a large apply, is
 *   replaced by the standby, which finishes it: every object exists and the content of each was
 *   written exactly once across both replicas (an object whose write the kill interrupted after
 *   the apply, before its owners list, is applied again by the new leader, a no-op that leaves
 *   its resourceVersion as it was);
 * - a leader paused (SIGSTOP) in the middle of an apply loses the lease; after SIGCONT it writes
 *   nothing (its in-flight work is refused by the fence), and the new leader finishes the apply.
 * Failover times (kill → the new leader's first write) are printed, not asserted.
 */
import { startModule, type RunningModule } from "../../hack/module-runner";
import {
  effectiveWrites,
  readAudit,
  receivedAt,
  replicaOf,
  WRITES_AUDIT_POLICY,
  type AuditEvent,
} from "../support/audit";
import { eventually } from "../support/cluster";
import { syncJson } from "../support/fixtures";
import {
  createInfrahubSecret,
  getJson,
  metric,
  requestSyncNow,
  waitForCondition,
} from "../support/operator-client";
import { startOperatorEnv, type ClusterEnv, type OperatorEnv } from "../support/operator-env";
import type { KubeObject } from "../../capabilities/lib/kube/client";

const NS = "ha";
const COUNT = 60;
const LEASE = "vidra-pepr-leader";
let env: OperatorEnv;
const extra: RunningModule[] = [];

// Two writes in flight per apply make an apply of 60 objects long enough to be cut in its middle.
const moduleEnv = (pod: string) => ({ POD_NAME: pod, VIDRA_APPLY_CONCURRENCY: "2" });

beforeAll(async () => {
  env = await startOperatorEnv({
    name: "leader",
    cluster: { auditPolicy: WRITES_AUDIT_POLICY },
    moduleEnv: moduleEnv("op-a"),
    sim: { seed: { users: [{ username: "admin", password: "infrahub" }] } },
  });
  createInfrahubSecret(env);
}, 300_000);

afterAll(async () => {
  for (const m of extra) await m.stop();
  await env?.stop();
});

function audit(): AuditEvent[] {
  return readAudit(env.cluster.cp.details.auditLogPath!);
}

/** Writes by a replica to anything but its Lease. */
function operatorWrites(events: AuditEvent[], replica: string): AuditEvent[] {
  return effectiveWrites(events).filter(
    e => replicaOf(e) === replica && e.objectRef?.resource !== "leases",
  );
}

function lease(): { holder: string; acquireTime?: string; transitions?: number } {
  const l = getJson(env, ["get", "lease", "-n", "pepr-system", LEASE]);
  return {
    holder: l.spec?.holderIdentity ?? "",
    acquireTime: l.spec?.acquireTime,
    transitions: l.spec?.leaseTransitions,
  };
}

const waitForHolder = (replica: string) =>
  eventually(async () => lease().holder.startsWith(`${replica}_`) && lease(), {
    what: `${replica} to hold the lease`,
    timeoutMs: 90_000,
  });

/** The operator's metrics on another module than env's. */
const on = (m: RunningModule): ClusterEnv => ({ ...env, module: m });

const manifest = (version: string) =>
  `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${NS} }\n` +
  Array.from(
    { length: COUNT },
    (_, i) =>
      `---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm-${i}, namespace: ${NS} }\ndata: { v: "${version}-${i}" }\n`,
  ).join("");

async function configMaps(): Promise<Map<string, string>> {
  const list = await env.cluster.kube.list<KubeObject & { data?: { v?: string } }>(
    `/api/v1/namespaces/${NS}/configmaps`,
    { labelSelector: "managed-by=vidra" },
  );
  return new Map(list.items.map(o => [o.metadata?.name ?? "", o.data?.v ?? ""]));
}

/** Successful server-side applies of each ConfigMap by its VidraResource's field manager. */
function appliesPerConfigMap(events: AuditEvent[], after = 0): Map<string, AuditEvent[]> {
  const by = new Map<string, AuditEvent[]>();
  for (const e of effectiveWrites(events)) {
    if (e.objectRef?.resource !== "configmaps" || e.objectRef.namespace !== NS) continue;
    if (!/fieldManager=vidra-pepr%2F/.test(e.requestURI) || receivedAt(e) < after) continue;
    const name = e.objectRef.name ?? "";
    by.set(name, [...(by.get(name) ?? []), e]);
  }
  return by;
}

/** How many of an object's applies changed it (distinct resourceVersions they answered). */
function contentWrites(applies: AuditEvent[]): number {
  return new Set(applies.map(e => e.responseObject?.metadata?.resourceVersion ?? e.auditID)).size;
}

let artifactId = "";

test("a standby writes nothing; the leader killed mid-apply is replaced and the apply finishes, each object written once", async () => {
  await waitForHolder("op-a");
  const b = await startModule({
    cluster: env.cluster.cp.details,
    env: moduleEnv("op-b"),
    registerWebhooks: false,
  });
  extra.push(b);
  expect(await metric(on(b), "vidra_leader")).toBe(0);
  expect(await metric(env, "vidra_leader")).toBe(1);

  env.sim.upsertDefinition({ name: "HA_Definition", artifactName: "HA_Manifest" });
  artifactId = env.sim.upsertArtifact("main", {
    definition: "HA_Definition",
    target: { label: "ha-01" },
    content: manifest("v1"),
  }).id;
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("ha", {
      source: {
        infrahubAPIURL: env.sim.url,
        artefactName: "HA_Manifest",
        discovery: "GraphQL",
        credentialsSecretRef: { name: "infrahub", namespace: "default" },
      },
      pollInterval: "1h",
    }),
  );
  const killAfter = 5 + Math.floor(Math.random() * 30);
  await eventually(async () => (await configMaps()).size >= killAfter, {
    what: `${killAfter} ConfigMaps`,
    timeoutMs: 120_000,
    intervalMs: 10,
  });
  process.kill(env.module.pid!, "SIGKILL");
  const killedAt = Date.now();
  const presentAtKill = (await configMaps()).size;
  // Its admission webhooks (the others registered none) go with it, or they would refuse writes.
  await env.module.stop();

  const held = await waitForHolder("op-b");
  await eventually(async () => (await configMaps()).size === COUNT, {
    what: `all ${COUNT} ConfigMaps`,
    timeoutMs: 120_000,
  });
  await waitForCondition(env, `vidraresource/${artifactId}`, "Ready", "True", {
    timeoutMs: 120_000,
  });
  await waitForCondition(env, "infrahubsync/ha", "Ready", "True", { timeoutMs: 120_000 });
  // The new leader reports the per-sync series from its first list.
  expect(await metric(on(b), "vidra_sync_poll_interval_seconds", { name: "ha" })).toBe(3600);

  const events = audit();
  // The standby wrote nothing while op-a led.
  expect(operatorWrites(events, "op-b").filter(e => receivedAt(e) < killedAt)).toEqual([]);
  // Nothing lost, nothing applied twice: each object's content was written by one apply, from one
  // replica or the other; any later apply of it answered the same resourceVersion (a no-op).
  const applies = appliesPerConfigMap(events);
  expect([...applies.keys()].sort()).toEqual(
    Array.from({ length: COUNT }, (_, i) => `cm-${i}`).sort(),
  );
  const twice = [...applies].filter(([, list]) => contentWrites(list) !== 1);
  expect(twice.map(([n, l]) => `${n}: ${l.map(replicaOf).join(", ")}`)).toEqual([]);
  const completed = [...applies.values()].filter(l => l.length > 1).length;
  expect(completed).toBeLessThanOrEqual(2);
  const byB = [...applies.values()].filter(l => replicaOf(l[0]) === "op-b").length;
  expect(byB).toBeGreaterThan(0);
  expect(COUNT - byB).toBeGreaterThanOrEqual(presentAtKill);
  expect(held.transitions).toBe(1);

  const firstWriteByB = operatorWrites(events, "op-b").find(e => receivedAt(e) >= killedAt)!;
  console.log(
    `leader-election: op-a killed with ${presentAtKill}/${COUNT} ConfigMaps applied; op-b acquired the lease ` +
      `${((Date.parse(held.acquireTime!) - killedAt) / 1000).toFixed(1)} s and wrote first ` +
      `${((receivedAt(firstWriteByB) - killedAt) / 1000).toFixed(1)} s after the kill; it applied ${byB} ` +
      `and completed ${completed} interrupted by the kill`,
  );
});

test("a leader paused mid-apply loses the lease and, resumed, writes nothing; the new leader finishes", async () => {
  const b = extra[0];
  const c = await startModule({
    cluster: env.cluster.cp.details,
    env: moduleEnv("op-c"),
    registerWebhooks: false,
  });
  extra.push(c);
  expect(await metric(on(c), "vidra_leader")).toBe(0);

  const changedAt = Date.now();
  env.sim.setArtifactContent("main", artifactId, manifest("v2"));
  requestSyncNow(env, "ha");
  const pauseAfter = 5 + Math.floor(Math.random() * 30);
  await eventually(
    async () =>
      [...(await configMaps()).values()].filter(v => v.startsWith("v2-")).length >= pauseAfter,
    { what: `${pauseAfter} updated ConfigMaps`, timeoutMs: 120_000, intervalMs: 10 },
  );
  process.kill(b.pid!, "SIGSTOP");
  const pausedAt = Date.now();
  let resumed = false;
  try {
    const held = await waitForHolder("op-c");
    const takeoverAt = Date.parse(held.acquireTime!);
    await eventually(
      async () =>
        [...(await configMaps()).values()].filter(v => v.startsWith("v2-")).length === COUNT,
      { what: `all ${COUNT} ConfigMaps updated`, timeoutMs: 120_000 },
    );
    process.kill(b.pid!, "SIGCONT");
    resumed = true;
    // The resumed replica notices at once that its term is over.
    await eventually(async () => (await metric(on(b), "vidra_leader")) === 0, {
      what: "op-b to step down",
    });
    // Its per-sync series went with the lease: only the leader reports a sync.
    expect(await metric(on(b), "vidra_sync_poll_interval_seconds", { name: "ha" })).toBe(0);
    await new Promise(r => setTimeout(r, 6_000));
    await waitForCondition(env, `vidraresource/${artifactId}`, "Ready", "True", {
      timeoutMs: 120_000,
    });

    const events = audit();
    const late = operatorWrites(events, "op-b").filter(e => receivedAt(e) >= takeoverAt);
    expect(late.map(e => `${e.verb} ${e.requestURI}`)).toEqual([]);
    // Its Lease writes after the takeover (a renewal prepared before the pause) were all refused.
    expect(
      effectiveWrites(events).filter(
        e =>
          replicaOf(e) === "op-b" &&
          e.objectRef?.resource === "leases" &&
          receivedAt(e) >= takeoverAt,
      ),
    ).toEqual([]);
    // Every object carries the new version, applied once since the change.
    const values = await configMaps();
    expect([...values.values()].filter(v => !v.startsWith("v2-"))).toEqual([]);
    const applies = appliesPerConfigMap(events, changedAt);
    expect(applies.size).toBe(COUNT);
    expect([...applies.values()].map(contentWrites).filter(n => n !== 1)).toEqual([]);
    const byC = [...applies.values()].filter(l => replicaOf(l[0]) === "op-c").length;
    expect(byC).toBeGreaterThan(0);
    expect(await metric(on(b), "vidra_leader_transitions_total", { event: "stopped" })).toBe(1);
    const fenced = await metric(on(b), "vidra_fenced_writes_total");
    console.log(
      `leader-election: op-b paused with ${pauseAfter}+ of ${COUNT} updated; op-c acquired the lease ` +
        `${((takeoverAt - pausedAt) / 1000).toFixed(1)} s after the pause and applied ${byC}; ` +
        `op-b, resumed, had ${fenced} write(s) refused by its fence and sent none`,
    );
  } finally {
    if (!resumed) process.kill(b.pid!, "SIGCONT");
  }
});
