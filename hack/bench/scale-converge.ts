import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { moduleNodeFlags } from "../module-runner";
import { startBenchEnv, type BenchEnv } from "./env";
import { smallManifest } from "./manifests";
import { applySyncsInParallel, waitForReadySyncs } from "./many-syncs";
import { pidsWithArgument, rssMiB, sampleResources, type ResourceSample } from "./resources";

export interface ScaleConvergePlan {
  syncs: number;
  pollSeconds: number;
  discovery: "GraphQL" | "StoredQuery";
  /** Give up waiting for all Ready after this long. */
  capMinutes: number;
  /** The steady-state window RSS and CPU are measured over. */
  windowSeconds: number;
  /** Server-side applies in flight while creating the syncs. */
  createConcurrency: number;
}

export interface ScaleConvergeResult {
  syncs: number;
  pollSeconds: number;
  discovery: string;
  capMinutes: number;
  /** Sending every InfrahubSync (admission included). */
  createMs: number;
  /** First InfrahubSync sent → every one Ready; undefined when the cap passed first. */
  convergeMs: number | undefined;
  /** How many were Ready when the wait ended. */
  readyAtEnd: number;
  /** Ready syncs per minute since the first was sent (null: no count ended in that minute). */
  readyByMinute: Array<number | null>;
  /** The module process's RSS, max over the whole run (creation and convergence included). */
  rssMaxMiB: number;
  /** At steady state (after convergence, or at the cap when there was none). */
  steady: ResourceSample;
  /** etcd + kube-apiserver RSS, max over the run: what the local cluster needed. */
  clusterRssMaxMiB: number;
  /** The module's Node.js options (hack/node-flags.ts unless VIDRA_MODULE_NODE_FLAGS overrode them). */
  nodeFlags?: string[];
}

const PREFIX = "big-";

/** The local cluster's etcd and kube-apiserver (they name files in the cluster's directory). */
function clusterPids(env: BenchEnv): number[] {
  return pidsWithArgument(dirname(env.kubeconfig)).filter(pid => {
    try {
      return /^(etcd|kube-apiserver)$/.test(readFileSync(`/proc/${pid}/comm`, "utf8").trim());
    } catch {
      return false;
    }
  });
}

/**
 * Many syncs (1 artifact of 4 objects each) created at once on one watcher: the time until all are
 * Ready, then memory and CPU at steady state. On a cluster of its own, started empty.
 */
export async function benchScaleConverge(plan: ScaleConvergePlan): Promise<ScaleConvergeResult> {
  // BENCH_LOG_LEVEL raises the module's log level.
  const env = await startBenchEnv(
    process.env.BENCH_LOG_LEVEL ? { LOG_LEVEL: process.env.BENCH_LOG_LEVEL } : {},
  );
  try {
    return await measure(env, plan);
  } finally {
    await env.stop();
  }
}

async function measure(env: BenchEnv, plan: ScaleConvergePlan): Promise<ScaleConvergeResult> {
  const pid = env.env.module.pid;
  if (!pid) throw new Error("the module process has no pid");
  const cluster = clusterPids(env);
  let rssMax = 0;
  let clusterMax = 0;
  const sample = () => {
    rssMax = Math.max(rssMax, rssMiB(pid) || 0);
    clusterMax = Math.max(
      clusterMax,
      cluster.reduce((a, p) => a + (rssMiB(p) || 0), 0),
    );
  };
  const sampler = setInterval(sample, 2000);
  try {
    const names = Array.from(
      { length: plan.syncs },
      (_, i) => `${PREFIX}${String(i + 1).padStart(5, "0")}`,
    );
    for (const name of names) {
      env.sim.upsertDefinition({ name: `${name}_Definition`, artifactName: name });
      env.sim.upsertArtifact("main", {
        definition: `${name}_Definition`,
        target: { label: name },
        content: smallManifest(name),
      });
    }
    const objects = names.map(
      name =>
        env.syncObject(
          name,
          { artefactName: name, discovery: plan.discovery },
          { pollInterval: `${plan.pollSeconds}s` },
        ) as Record<string, unknown> & { metadata: { name: string } },
    );
    const t0 = performance.now();
    await applySyncsInParallel(env.kube, objects, plan.createConcurrency);
    const createMs = performance.now() - t0;
    console.log(`bench: ${plan.syncs} syncs sent in ${(createMs / 1000).toFixed(1)} s`);
    const readyByMinute: Array<number | null> = [];
    let lastLog = 0;
    const done = await waitForReadySyncs(env.kube, PREFIX, plan.syncs, {
      capMs: plan.capMinutes * 60_000,
      everyMs: plan.syncs > 1000 ? 10_000 : 1000,
      since: t0,
      progress: ready => {
        const minute = Math.floor((performance.now() - t0) / 60_000);
        readyByMinute[minute] = ready;
        if (performance.now() - lastLog > 60_000) {
          lastLog = performance.now();
          console.log(
            `bench: ${ready}/${plan.syncs} Ready after ${((performance.now() - t0) / 1000).toFixed(0)} s; module RSS ${rssMiB(pid).toFixed(0)} MiB`,
          );
        }
      },
    });
    // Minutes without a check (a slow LIST) keep the count of the minute before.
    for (let m = 0; m < readyByMinute.length; m++)
      readyByMinute[m] ??= m > 0 ? readyByMinute[m - 1] : null;
    if (done.ms !== undefined) {
      console.log(`bench: all ${plan.syncs} Ready in ${(done.ms / 1000).toFixed(0)} s`);
      // Let the first polls after convergence pass.
      await new Promise(r => setTimeout(r, plan.pollSeconds * 2000));
    }
    const steady = await sampleResources(pid, plan.syncs, plan.windowSeconds);
    sample();
    return {
      syncs: plan.syncs,
      pollSeconds: plan.pollSeconds,
      discovery: plan.discovery,
      capMinutes: plan.capMinutes,
      createMs,
      convergeMs: done.ms,
      readyAtEnd: done.ready,
      readyByMinute,
      rssMaxMiB: rssMax,
      steady,
      clusterRssMaxMiB: clusterMax,
      nodeFlags: moduleNodeFlags(),
    };
  } finally {
    clearInterval(sampler);
  }
}
