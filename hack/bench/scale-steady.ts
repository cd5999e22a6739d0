import { startInfrahubSimulator } from "../infrahub-sim";
import type { InfrahubSimulator } from "../infrahub-sim/types";
import { operatorRequests, REQUESTS_AUDIT_POLICY } from "./api-audit";
import { startBenchEnv, type BenchEnv } from "./env";
import { smallManifest } from "./manifests";
import { applySyncsInParallel, waitForReadySyncs } from "./many-syncs";

export interface ScaleSteadyPlan {
  syncs: number;
  /** Infrahub addresses: one simulator each. */
  addresses: number;
  intervals: number;
  pollSeconds: number;
  /** How the syncs find their artifacts (GraphQL filters can be batched; a stored query less so). */
  discovery: "GraphQL" | "StoredQuery";
}

export interface ScaleSteadyResult {
  syncs: number;
  addresses: number;
  /** Distinct (address, credentials, branch, targetDate): what one request per interval can serve. */
  groups: number;
  intervals: number;
  pollSeconds: number;
  discovery: string;
  /** Per poll interval, all syncs together. */
  perInterval: {
    infrahubRequests: number;
    logins: number;
    downloads: number;
    /** GET and LIST by the operator, from the API server's audit log (watches excluded). */
    apiReads: number;
    /** Creates, updates, patches and deletes by the operator, from the audit log. */
    apiWrites: number;
    /** Leader election's own Lease GETs and updates, not counted above. */
    leaseRequests: number;
    /** The operator's GET /readyz (its API-server outage probe), not counted above. */
    healthProbes?: number;
    /** The operator's own counter (vidra_kube_requests_total), as a cross-check. */
    counterReads: number;
    counterWrites: number;
  };
  /** Audited requests in the window per `verb resource client`, per interval. */
  breakdown: Record<string, number>;
}

/** Each address serves two groups: branch main (latest) and a branch read at a fixed date. */
const BRANCH = "bench-feature";
const GROUPS_PER_ADDRESS = 2;
const PREFIX = "scale-";

/**
 * Steady state of many syncs spread over several Infrahub addresses, branches and dates: per poll
 * interval, the requests Infrahub receives (counted by the simulators) and the reads and writes the
 * operator sends to the API server (counted by the API server: its audit log). Runs on a cluster
 * of its own, because the audit log must see nothing but this.
 */
export async function benchScaleSteady(plan: ScaleSteadyPlan): Promise<ScaleSteadyResult> {
  const env = await startBenchEnv({}, { cluster: { auditPolicy: REQUESTS_AUDIT_POLICY } });
  const sims: InfrahubSimulator[] = [env.sim];
  try {
    while (sims.length < plan.addresses) sims.push(await startInfrahubSimulator({}));
    return await measure(env, sims, plan);
  } finally {
    for (const s of sims.slice(1)) await s.stop();
    await env.stop();
  }
}

async function measure(
  env: BenchEnv,
  sims: InfrahubSimulator[],
  plan: ScaleSteadyPlan,
): Promise<ScaleSteadyResult> {
  const groups = sims.length * GROUPS_PER_ADDRESS;
  const syncs = Array.from({ length: plan.syncs }, (_, i) => {
    const group = i % groups;
    return {
      name: `${PREFIX}${String(i + 1).padStart(4, "0")}`,
      sim: sims[Math.floor(group / GROUPS_PER_ADDRESS)],
      dated: group % GROUPS_PER_ADDRESS === 1,
    };
  });
  for (const sim of sims) sim.createBranch(BRANCH);
  for (const s of syncs) {
    s.sim.upsertDefinition({ name: `${s.name}_Definition`, artifactName: s.name });
    s.sim.upsertArtifact(s.dated ? BRANCH : "main", {
      definition: `${s.name}_Definition`,
      target: { label: s.name },
      content: smallManifest(s.name),
    });
  }
  // A fixed date after every artifact exists: each poll reads the same past state.
  await new Promise(r => setTimeout(r, 50));
  const targetDate = new Date().toISOString();
  await applySyncsInParallel(
    env.kube,
    syncs.map(
      s =>
        env.syncObject(
          s.name,
          {
            infrahubAPIURL: s.sim.url,
            artefactName: s.name,
            discovery: plan.discovery,
            ...(s.dated ? { targetBranch: BRANCH, targetDate } : {}),
          },
          { pollInterval: `${plan.pollSeconds}s` },
        ) as Record<string, unknown> & { metadata: { name: string } },
    ),
  );
  const ready = await waitForReadySyncs(env.kube, PREFIX, plan.syncs, {
    capMs: 600_000,
    everyMs: 1000,
  });
  if (ready.ms === undefined)
    throw new Error(`only ${ready.ready} of ${plan.syncs} syncs became Ready in 10 minutes`);
  // Let the first polls after creation pass, so only steady-state polls are counted.
  await new Promise(r => setTimeout(r, plan.pollSeconds * 1500));

  const scrape = async () => ({
    reads: await env.metric("vidra_kube_requests_total", { method: "GET" }),
    all: await env.metric("vidra_kube_requests_total", { dry_run: "false" }),
    getsNotDry: await env.metric("vidra_kube_requests_total", { dry_run: "false", method: "GET" }),
  });
  const c0 = await scrape();
  for (const sim of sims) sim.resetCounts();
  const from = Date.now();
  await new Promise(r => setTimeout(r, plan.intervals * plan.pollSeconds * 1000));
  const to = Date.now();
  const counts = sims.map(s => s.requestCounts());
  const c1 = await scrape();
  // The audit log is written asynchronously (batched by the server): let the window's tail land.
  await new Promise(r => setTimeout(r, 3000));
  const api = operatorRequests(env.env.cluster.cp.details.auditLogPath!, from, to);

  const sum = (pick: (c: Record<string, number>) => number) =>
    counts.reduce((a, c) => a + pick(c), 0);
  const per = (n: number) => Math.round((n / plan.intervals) * 10) / 10;
  return {
    syncs: plan.syncs,
    addresses: sims.length,
    groups,
    intervals: plan.intervals,
    pollSeconds: plan.pollSeconds,
    discovery: plan.discovery,
    perInterval: {
      infrahubRequests: per(sum(c => Object.values(c).reduce((a, b) => a + b, 0))),
      logins: per(sum(c => c["POST /api/auth/login"] ?? 0)),
      downloads: per(sum(c => (c["GET /api/storage/object"] ?? 0) + (c["GET /api/artifact"] ?? 0))),
      apiReads: per(api.reads),
      apiWrites: per(api.writes),
      leaseRequests: per(api.leaseRequests),
      healthProbes: per(api.healthProbes),
      counterReads: per(c1.reads - c0.reads),
      counterWrites: per(c1.all - c1.getsNotDry - (c0.all - c0.getsNotDry)),
    },
    breakdown: Object.fromEntries(Object.entries(api.breakdown).map(([k, v]) => [k, per(v)])),
  };
}
