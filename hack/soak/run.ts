/**
 * `npm run soak -- [--cycles N] [--every M]`: the memory soak at full size (its figures are in the
 * README's Memory section). Runs N create/delete cycles (default 2000, in batches of 20; see
 * cycles.ts) against the built module on a local control plane and the Infrahub simulator, and
 * prints the module's RSS and the operator's cache sizes every M cycles (default 200) as a Markdown
 * table. `npm run soak` builds the module first.
 */
import { httpsGet } from "../control-plane/https-probe";
import { startOperatorEnv } from "../../tests/support/operator-env";
import { cacheEntries, rssMiB, soakBatch, soakSeed, SOAK_SLOTS } from "./cycles";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
}

async function main(): Promise<void> {
  const cycles = arg("cycles", 2000);
  const every = arg("every", 200);
  const env = await startOperatorEnv({
    name: "soak",
    moduleEnv: { LOG_LEVEL: "warn" },
    sim: { seed: soakSeed() },
  });
  try {
    const pid = env.module.pid!;
    const target = {
      kubeconfigPath: env.cluster.cp.kubeconfigPath,
      server: env.cluster.cp.server,
      sim: env.sim,
    };
    const caches = async () =>
      cacheEntries(
        (
          await httpsGet(`https://127.0.0.1:${env.module.port}/metrics`, {
            ca: env.cluster.cp.details.caPem,
          })
        ).body,
      );
    const rows: string[] = [];
    const sample = async (done: number) => {
      // Deletions settle asynchronously (finalizers, DELETED events): give them a moment.
      await new Promise(r => setTimeout(r, 3000));
      const c = await caches();
      // The gauges appear once the operator has seen its first object.
      const n = (k: string) => (c[k] === undefined ? "–" : String(c[k]));
      const row = `| ${done} | ${rssMiB(pid).toFixed(0)} MiB | ${n("infrahub_clients")} | ${n("destinations")} | ${n("drift_watches")} | ${n("drift_own_writes")} | ${n("drift_tracked_objects")} | ${n("watched_objects")} |`;
      rows.push(row);
      console.log(row);
    };
    console.log(
      "| cycles done | module RSS | Infrahub clients | destinations | drift watches | own writes | tracked objects | watched objects |",
    );
    console.log("|---|---|---|---|---|---|---|---|");
    const started = Date.now();
    await sample(0);
    let done = 0;
    for (let batch = 1; done < cycles; batch++) {
      const size = Math.min(SOAK_SLOTS, cycles - done);
      await soakBatch(target, batch, { size });
      done += size;
      if (done % every === 0 || done === cycles) await sample(done);
    }
    console.log(
      `\n${cycles} cycles in ${Math.round((Date.now() - started) / 1000)} s; module pid ${pid}`,
    );
  } finally {
    await env.stop();
  }
}

main().catch(err => {
  console.error(err);
  process.exitCode = 1;
});
