/**
 * Bulkheads between Infrahub addresses: syncs of a slow Infrahub fill their own address's slots and
 * nobody else's, so a change on a healthy Infrahub reaches the cluster while the slow one still has
 * not answered a single request.
 */
import { startInfrahubSimulator } from "../../hack/infrahub-sim";
import type { InfrahubSimulator } from "../../hack/infrahub-sim/types";
import { eventually } from "../support/cluster";
import { syncJson } from "../support/fixtures";
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import { createInfrahubSecret, requestSyncNow, waitForCondition } from "../support/operator-client";

const SLOW_SYNCS = 4;
/** Far longer than the fast path can take; the client's timeout is raised above it. */
const SLOW_ANSWER_MS = 150_000;

let env: OperatorEnv;
let slow: InfrahubSimulator;

const configMap = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}, namespace: default }\ndata: { value: "${value}" }\n`;

const definition = (i: number) => ({ name: `Def_${i}`, artifactName: `Manifest_${i}` });

beforeAll(async () => {
  env = await startOperatorEnv({
    name: "isolation",
    // As many syncs run at once per address as there are slow syncs: without bulkheads, those four
    // would hold every slot.
    moduleEnv: {
      VIDRA_SYNC_CONCURRENCY: String(SLOW_SYNCS),
      VIDRA_INFRAHUB_TIMEOUT_SECONDS: String((SLOW_ANSWER_MS + 60_000) / 1000),
    },
    sim: {
      seed: {
        users: [{ username: "admin", password: "infrahub" }],
        definitions: [definition(0)],
        artifacts: [
          { definition: "Def_0", target: { label: "fast" }, content: configMap("fast", "v1") },
        ],
      },
    },
  });
  slow = await startInfrahubSimulator({
    seed: {
      users: [{ username: "admin", password: "infrahub" }],
      definitions: Array.from({ length: SLOW_SYNCS }, (_, i) => definition(i + 1)),
      artifacts: Array.from({ length: SLOW_SYNCS }, (_, i) => ({
        definition: `Def_${i + 1}`,
        target: { label: `slow-${i + 1}` },
        content: configMap(`slow-${i + 1}`, "v1"),
      })),
    },
  });
  createInfrahubSecret(env);
}, 240_000);

afterAll(async () => {
  await slow?.stop();
  await env?.stop();
});

const creds = { credentialsSecretRef: { name: "infrahub", namespace: "default" } };

function applySync(name: string, url: string, artefactName: string): void {
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson(name, { source: { infrahubAPIURL: url, artefactName, ...creds }, pollInterval: "1h" }),
  );
}

const valueOf = (name: string): string | undefined => {
  const r = env.kubectlResult(["get", "configmap", "-n", "default", name, "-o", "json"]);
  return r.code === 0 ? JSON.parse(r.stdout).data?.value : undefined;
};

test("a slow Infrahub delays only its own syncs: a change on another arrives before it answers", async () => {
  applySync("fast", env.sim.url, "Manifest_0");
  for (let i = 1; i <= SLOW_SYNCS; i++) applySync(`slow-${i}`, slow.url, `Manifest_${i}`);
  for (const name of ["fast", ...Array.from({ length: SLOW_SYNCS }, (_, i) => `slow-${i + 1}`)])
    await waitForCondition(env, `infrahubsync/${name}`, "Ready", "True", { timeoutMs: 120_000 });
  expect(valueOf("fast")).toBe("v1");

  // Every request to the slow Infrahub now takes minutes; all of its syncs ask at once.
  slow.resetCounts();
  slow.injectFault({ endpoint: "*", kind: "latency", ms: SLOW_ANSWER_MS });
  for (let i = 1; i <= SLOW_SYNCS; i++) requestSyncNow(env, `slow-${i}`);
  await eventually(
    async () => Object.values(slow.requestCounts()).reduce((a, b) => a + b, 0) >= SLOW_SYNCS,
    { what: `${SLOW_SYNCS} requests waiting on the slow Infrahub`, timeoutMs: 60_000 },
  );

  const fast = env.sim.listArtifacts("main")[0];
  env.sim.setArtifactContent("main", fast.id, configMap("fast", "v2"));
  requestSyncNow(env, "fast");
  await eventually(async () => valueOf("fast") === "v2", {
    what: "the change on the fast Infrahub applied",
    timeoutMs: SLOW_ANSWER_MS - 30_000,
  });
  // The order is the point: the slow Infrahub has not answered anything yet.
  expect(slow.requestLog.filter(e => e.status !== 0)).toEqual([]);
  expect(Object.values(slow.requestCounts()).reduce((a, b) => a + b, 0)).toBe(SLOW_SYNCS);
}, 400_000);
