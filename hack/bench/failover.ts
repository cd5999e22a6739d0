import type { KubeObject } from "../../capabilities/lib/kube/client";
import { startInfrahubSimulator } from "../infrahub-sim";
import type { InfrahubSimulator } from "../infrahub-sim/types";
import { startModule, type RunningModule } from "../module-runner";
import {
  effectiveWrites,
  readAudit,
  receivedAt,
  replicaOf,
  WRITES_AUDIT_POLICY,
} from "../../tests/support/audit";
import { startTestCluster, type TestCluster } from "../../tests/support/cluster";
import { median, waitUntil } from "./stats";

export interface FailoverRun {
  /** The leader was killed (SIGKILL) with this many of the apply's objects written. */
  writtenAtKill: number;
  /** Kill → the standby holds the Lease (its acquireTime). */
  takeoverMs: number;
  /** Kill → the new leader's first write other than its Lease (the API server's audit log). */
  firstWriteMs: number;
  /** Kill → every object of the interrupted apply carries the new version. */
  finishedMs: number;
}

export interface FailoverResult {
  objects: number;
  leaseDurationSeconds: number;
  runs: FailoverRun[];
  median: Omit<FailoverRun, "writtenAtKill">;
  max: Omit<FailoverRun, "writtenAtKill">;
}

const NS = "failover";
const LEASE = "/apis/coordination.k8s.io/v1/namespaces/pepr-system/leases/vidra-pepr-leader";
const SYNC = "/apis/infrahub.operators.com/v1alpha1/infrahubsyncs/failover";
const COUNT = 60;

type Lease = KubeObject & { spec?: { holderIdentity?: string; acquireTime?: string } };
type ConfigMap = KubeObject & { data?: { v?: string } };

const manifest = (version: number) =>
  `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${NS} }\n` +
  Array.from(
    { length: COUNT },
    (_, i) =>
      `---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm-${i}, namespace: ${NS} }\ndata: { v: "${version}" }\n`,
  ).join("");

/**
 * Leader failover: two operator processes against one cluster; the leader is killed (SIGKILL) in
 * the middle of an apply, and the standby takes over and finishes it. A fresh standby is started
 * for the next run. The module's admission webhooks are not registered (a killed process's would
 * refuse every write until removed), so every run sees the same cluster.
 */
export async function benchFailover(runs: number): Promise<FailoverResult> {
  const cluster = await startTestCluster({ name: "failover", auditPolicy: WRITES_AUDIT_POLICY });
  const sim = await startInfrahubSimulator({});
  const modules: RunningModule[] = [];
  try {
    return await measure(cluster, sim, modules, runs);
  } finally {
    for (const m of modules) await m.stop();
    await sim.stop();
    await cluster.stop();
  }
}

async function measure(
  cluster: TestCluster,
  sim: InfrahubSimulator,
  modules: RunningModule[],
  runs: number,
): Promise<FailoverResult> {
  const { kube } = cluster;
  let next = 1;
  const start = async () => {
    const name = `op-${next++}`;
    // Two writes in flight make an apply of 60 objects long enough to be cut in its middle.
    const m = await startModule({
      cluster: cluster.cp.details,
      env: { POD_NAME: name, LOG_LEVEL: "warn", VIDRA_APPLY_CONCURRENCY: "2" },
      registerWebhooks: false,
    });
    modules.push(m);
    return { name, module: m };
  };
  const holder = async () => (await kube.getOptional<Lease>(LEASE))?.spec;
  const waitForHolder = (name: string) =>
    waitUntil(
      async () => {
        const spec = await holder();
        return spec?.holderIdentity?.startsWith(`${name}_`) ? spec : undefined;
      },
      120_000,
      100,
    );
  const atVersion = async (version: number) =>
    (
      await kube.list<ConfigMap>(`/api/v1/namespaces/${NS}/configmaps`, {
        labelSelector: "managed-by=vidra",
      })
    ).items.filter(c => c.data?.v === String(version)).length;

  await kube.apply(
    "/api/v1/namespaces/default/secrets/infrahub",
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "infrahub", namespace: "default" },
      stringData: { username: "admin", password: "infrahub" },
    },
    { fieldManager: "vidra-bench" },
  );
  sim.upsertDefinition({ name: "Failover_Definition", artifactName: "Failover_Manifest" });
  const artifactId = sim.upsertArtifact("main", {
    definition: "Failover_Definition",
    target: { label: "failover-01" },
    content: manifest(0),
  }).id;

  let leader = await start();
  await waitForHolder(leader.name);
  let standby = await start();
  await kube.apply(
    SYNC,
    {
      apiVersion: "infrahub.operators.com/v1alpha1",
      kind: "InfrahubSync",
      metadata: { name: "failover" },
      spec: {
        pollInterval: "1h",
        source: {
          infrahubAPIURL: sim.url,
          targetBranch: "main",
          artefactName: "Failover_Manifest",
          discovery: "GraphQL",
          credentialsSecretRef: { name: "infrahub", namespace: "default" },
        },
      },
    },
    { fieldManager: "vidra-bench" },
  );
  await waitUntil(async () => (await atVersion(0)) === COUNT || undefined, 180_000, 200);

  const results: FailoverRun[] = [];
  for (let run = 1; run <= runs; run++) {
    sim.setArtifactContent("main", artifactId, manifest(run));
    await kube.mergePatch(SYNC, {
      metadata: { annotations: { "infrahub.operators.com/sync-now": String(Date.now()) } },
    });
    const killAfter = 5 + Math.floor(Math.random() * 30);
    await waitUntil(async () => (await atVersion(run)) >= killAfter || undefined, 120_000, 10);
    process.kill(leader.module.pid!, "SIGKILL");
    const killedAt = Date.now();
    const writtenAtKill = await atVersion(run);
    const held = await waitForHolder(standby.name);
    await waitUntil(async () => (await atVersion(run)) === COUNT || undefined, 180_000, 50);
    const finishedMs = Date.now() - killedAt;
    await leader.module.stop();
    // The audit log is written in batches: let the takeover's writes land.
    await new Promise(r => setTimeout(r, 3000));
    const firstWrite = effectiveWrites(readAudit(cluster.cp.details.auditLogPath!)).find(
      e =>
        replicaOf(e) === standby.name &&
        e.objectRef?.resource !== "leases" &&
        receivedAt(e) >= killedAt,
    );
    if (!firstWrite) throw new Error(`${standby.name} finished the apply without a write`);
    const r: FailoverRun = {
      writtenAtKill,
      takeoverMs: Date.parse(held.acquireTime!) - killedAt,
      firstWriteMs: receivedAt(firstWrite) - killedAt,
      finishedMs,
    };
    console.log(
      `bench: failover ${run}/${runs}: killed ${leader.name} at ${writtenAtKill}/${COUNT}; ` +
        `${standby.name} took the Lease after ${r.takeoverMs} ms, wrote after ${r.firstWriteMs} ms, ` +
        `finished after ${r.finishedMs} ms`,
    );
    results.push(r);
    leader = standby;
    if (run < runs) standby = await start();
  }
  const pick = (f: (r: FailoverRun) => number) => results.map(f);
  const summary = (agg: (v: number[]) => number) => ({
    takeoverMs: agg(pick(r => r.takeoverMs)),
    firstWriteMs: agg(pick(r => r.firstWriteMs)),
    finishedMs: agg(pick(r => r.finishedMs)),
  });
  return {
    objects: COUNT,
    leaseDurationSeconds: 15,
    runs: results,
    median: summary(median),
    max: summary(v => Math.max(...v)),
  };
}
