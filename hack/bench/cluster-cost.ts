/**
 * What running pods costs a local cluster: start time and memory of a plain control plane against
 * one with workloads (kube-scheduler, the workload controllers, KWOK and one fake node), started
 * alternately in one run. `npx tsx hack/bench/cluster-cost.ts [runs]` (default 3).
 */
import { readFileSync } from "node:fs";
import { LocalControlPlane } from "../control-plane/control-plane";
import { median, ms } from "./stats";

function rssKiB(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

interface Sample {
  startMs: number;
  rssMiB: number;
  byProcess: Record<string, number>;
}

async function sample(workloads: boolean): Promise<Sample> {
  const t0 = Date.now();
  const cp = await LocalControlPlane.start({ name: workloads ? "cost-wl" : "cost", workloads });
  const startMs = Date.now() - t0;
  try {
    // Memory after the components have settled (informers filled, first leases written).
    await new Promise(r => setTimeout(r, 10_000));
    const byProcess: Record<string, number> = {};
    for (const p of cp.processes()) byProcess[p.name] = rssKiB(p.pid) / 1024;
    const rssMiB = Object.values(byProcess).reduce((a, b) => a + b, 0);
    return { startMs, rssMiB, byProcess };
  } finally {
    await cp.stop();
  }
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 3);
  const plain: Sample[] = [];
  const withPods: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    plain.push(await sample(false));
    withPods.push(await sample(true));
  }
  const row = (name: string, s: Sample[]) => {
    const start = median(s.map(x => x.startMs));
    const rss = median(s.map(x => x.rssMiB));
    const parts = Object.keys(s[0].byProcess)
      .map(p => `${p} ${median(s.map(x => x.byProcess[p] ?? 0)).toFixed(0)}`)
      .join(", ");
    console.log(`${name}: start ${ms(start)}, RSS ${rss.toFixed(0)} MiB (${parts})`);
    return { start, rss };
  };
  console.log(`${runs} run(s) each, medians:`);
  const a = row("control plane       ", plain);
  const b = row("  + workloads (KWOK)", withPods);
  console.log(
    `workloads: start ×${(b.start / a.start).toFixed(2)} (+${ms(b.start - a.start)}), RSS ×${(b.rss / a.rss).toFixed(2)} (+${(b.rss - a.rss).toFixed(0)} MiB)`,
  );
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
