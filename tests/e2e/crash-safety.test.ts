/**
 * Crash safety: the operator is killed (SIGKILL) at random moments while it applies a version of an
 * artifact that adds objects; while it is down, the artifact is reverted in Infrahub. After the
 * restart exactly the reverted manifest's objects remain: nothing created before the kill leaks,
 * because the VidraResource records its intent (its inventory grows) before anything is written.
 * CRASH_ITERATIONS sets the number of kills (3 in CI; `CRASH_ITERATIONS=20 npx jest
 * tests/e2e/crash-safety.test.ts` for the figures in the README).
 */
import { startModule, type RunningModule } from "../../hack/module-runner";
import { eventually } from "../support/cluster";
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import { syncJson } from "../support/fixtures";
import {
  createInfrahubSecret,
  getJson,
  requestSyncNow,
  waitForCondition,
} from "../support/operator-client";
import type { KubeObject } from "../../capabilities/lib/kube/client";

let env: OperatorEnv;
let restarted: RunningModule | undefined;
const ITERATIONS = Number(process.env.CRASH_ITERATIONS ?? 3);
const NS = "crash";

beforeAll(async () => {
  // Two writes in flight per apply make the apply long enough to be killed in its middle.
  env = await startOperatorEnv({
    name: "crash",
    moduleEnv: { VIDRA_APPLY_CONCURRENCY: "2" },
    sim: { seed: { users: [{ username: "admin", password: "infrahub" }] } },
  });
  createInfrahubSecret(env);
}, 240_000);

afterAll(async () => {
  await restarted?.stop();
  await env?.stop();
});

const configMaps = (prefix: string, n: number) =>
  Array.from(
    { length: n },
    (_, i) =>
      `---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${prefix}-${i}, namespace: ${NS} }\ndata: { i: "${i}" }\n`,
  ).join("");
const base = `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${NS} }\n${configMaps("base", 3)}`;

async function managedNames(): Promise<string[]> {
  const list = await env.cluster.kube.list<KubeObject>(`/api/v1/namespaces/${NS}/configmaps`, {
    labelSelector: "managed-by=vidra",
  });
  return list.items.map(o => o.metadata?.name ?? "").sort();
}

test("killed at random moments while adding objects, reverted while down: nothing extra remains", async () => {
  env.sim.upsertDefinition({ name: "Crash_Definition", artifactName: "Crash_Manifest" });
  const id = env.sim.upsertArtifact("main", {
    definition: "Crash_Definition",
    target: { label: "crash-01" },
    content: base,
  }).id;
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("crash", {
      source: {
        infrahubAPIURL: env.sim.url,
        artefactName: "Crash_Manifest",
        discovery: "GraphQL",
        credentialsSecretRef: { name: "infrahub", namespace: "default" },
      },
      pollInterval: "1h",
    }),
  );
  await waitForCondition(env, "infrahubsync/crash", "Ready", "True");
  const expected = ["base-0", "base-1", "base-2"];
  expect(await managedNames()).toEqual(expected);

  const killedAt: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const added = 40;
    const killAfter = 1 + Math.floor(Math.random() * (added - 1));
    env.sim.setArtifactContent("main", id, `${base}${configMaps(`it${i}`, added)}`);
    requestSyncNow(env, "crash");
    const pid = (restarted ?? env.module).pid!;
    // Kill once `killAfter` of the new objects exist (or the apply is over).
    await eventually(
      async () => (await managedNames()).filter(n => n.startsWith(`it${i}-`)).length >= killAfter,
      { what: `${killAfter} new objects`, timeoutMs: 60_000, intervalMs: 10 },
    );
    process.kill(pid, "SIGKILL");
    killedAt.push((await managedNames()).filter(n => n.startsWith(`it${i}-`)).length);
    await (restarted ?? env.module).stop();
    env.sim.setArtifactContent("main", id, base);
    // The sync would hand the reverted version to the VidraResource at start-up, racing the
    // VidraResource's own re-apply of the newer one; here it is handed over while the operator is
    // down, so the restart finds the reverted manifest and whatever inventory the kill left.
    const checksum = env.sim.listArtifacts("main").find(a => a.id === id)!.checksum;
    env.kubectl([
      "patch",
      "vidraresource",
      id,
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { manifest: base.trim(), checksum } }),
    ]);
    restarted = await startModule({ cluster: env.cluster.cp.details });
    await eventually(
      async () => JSON.stringify(await managedNames()) === JSON.stringify(expected),
      {
        what: `only the reverted manifest's objects (iteration ${i}, killed with ${killedAt[i]} of ${added} created)`,
        timeoutMs: 90_000,
      },
    );
    const vr = await waitForCondition(env, `vidraresource/${id}`, "Ready", "True");
    expect(vr.status.managedResources).toHaveLength(4);
  }
  // What the kills hit, for the record (numbers of new objects present at each kill).
  console.log(`crash-safety: killed with ${killedAt.join(", ")} of 40 new objects created`);
  expect(getJson(env, ["get", "vidraresources"]).items).toHaveLength(1);
});
