/**
 * Memory: the operator keeps what its live syncs and VidraResources need, not everything it ever
 * saw. Create/delete cycles (a new Infrahub identity, a new kubeconfig Secret for a "remote"
 * destination, drift watches there) must leave every cache at its size before the cycles. The
 * full-size run with RSS figures is `npm run soak` (BENCHMARKS.md).
 */
import { httpsGet } from "../../hack/control-plane/https-probe";
import { cacheEntries, soakBatch, soakSeed, SOAK_SLOTS } from "../../hack/soak/cycles";
import { eventually } from "../support/cluster";
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";

const BATCHES = 5; // 5 × 20 = 100 create/delete cycles

let env: OperatorEnv;

beforeAll(async () => {
  env = await startOperatorEnv({
    name: "memory",
    moduleEnv: { LOG_LEVEL: "warn" },
    sim: { seed: soakSeed() },
  });
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

async function caches(): Promise<Record<string, number>> {
  const res = await httpsGet(`https://127.0.0.1:${env.module.port}/metrics`, {
    ca: env.cluster.cp.details.caPem,
  });
  return cacheEntries(res.body);
}

test(`every cache returns to its baseline after ${BATCHES * SOAK_SLOTS} create/delete cycles`, async () => {
  const target = {
    kubeconfigPath: env.cluster.cp.kubeconfigPath,
    server: env.cluster.cp.server,
    sim: env.sim,
  };
  // One batch first, so lazily built things (discovery, pools of the local cluster) are there.
  await soakBatch(target, 0);
  const baseline = await eventually(
    async () => {
      const c = await caches();
      return c.destinations === 0 && c.infrahub_clients === 0 && c;
    },
    { what: "the first batch's caches released" },
  );
  expect(baseline.kubeconfig_watches).toBe(0);
  expect(Object.keys(baseline).sort()).toEqual([
    "cached_infrahubsyncs",
    "cached_vidraresources",
    "destinations",
    "drift_own_writes",
    "drift_owners",
    "drift_remembered_objects",
    "drift_tracked_objects",
    "drift_watches",
    "infrahub_clients",
    "kubeconfig_watches",
    "secret_watches",
    "watched_objects",
  ]);

  // While a batch is live, the caches hold its clients, destinations and watches...
  const live: Array<Record<string, number>> = [];
  for (let b = 1; b <= BATCHES; b++) {
    await soakBatch(target, b, { whileLive: async () => void live.push(await caches()) });
  }
  for (const c of live) {
    expect(c.infrahub_clients).toBeGreaterThanOrEqual(SOAK_SLOTS);
    expect(c.destinations).toBeGreaterThanOrEqual(SOAK_SLOTS);
    expect(c.drift_watches).toBeGreaterThanOrEqual(1);
    expect(c.drift_tracked_objects).toBeGreaterThanOrEqual(1);
    // One watch per kubeconfig Secret in use, closed with the last VidraResource using it.
    expect(c.kubeconfig_watches).toBeGreaterThanOrEqual(SOAK_SLOTS);
  }
  // ...and after the last one they are back where they started.
  const after = await eventually(
    async () => {
      const c = await caches();
      return Object.entries(baseline).every(([k, v]) => c[k] === v) && c;
    },
    { what: "every cache back at its baseline", timeoutMs: 60_000 },
  ).catch(async err => {
    throw new Error(
      `${err.message}\nbaseline ${JSON.stringify(baseline)}\nnow ${JSON.stringify(await caches())}`,
    );
  });
  expect(after).toEqual(baseline);
}, 1_200_000);
