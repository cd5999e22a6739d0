/**
 * A real Infrahub stopped while a sync polls it, and started again: nothing in the cluster is
 * deleted or re-created, the status says Infrahub is unavailable, and the sync recovers by
 * itself. This file stops its Infrahub, so it runs one of its own (a warm start from the seeded
 * snapshot), not the run's shared one.
 */
import { RealInfrahub } from "../../hack/real-infrahub/stack";
import { SEED_PLAN } from "../../hack/real-infrahub/seed";
import { eventually } from "../support/cluster";
import { syncJson } from "../support/fixtures";
import {
  createInfrahubSecret,
  condition,
  getJson,
  waitForCondition,
} from "../support/operator-client";
import { startClusterEnv, type ClusterEnv } from "../support/operator-env";
import { creds, deployment, SLOW, vidraResourcesOf } from "./support/real-env";
import { sharedInfrahub } from "./support/shared-stack";

let env: ClusterEnv;
let ih: RealInfrahub;

beforeAll(async () => {
  const [cluster, infrahub] = await Promise.allSettled([
    startClusterEnv({ name: "ri-outage" }),
    RealInfrahub.start({ name: "outage" }),
  ]);
  if (cluster.status === "fulfilled") env = cluster.value;
  if (infrahub.status === "fulfilled") ih = infrahub.value;
  if (cluster.status === "rejected") throw cluster.reason;
  if (infrahub.status === "rejected") throw infrahub.reason;
  createInfrahubSecret(env);
}, 30 * 60_000);

afterAll(async () => {
  await env?.stop();
  await ih?.stop();
});

function uids(): string[] {
  return vidraResourcesOf(env, "outage")
    .map(v => v.metadata.uid as string)
    .sort();
}

test("Infrahub stopped mid-run: nothing is deleted; started again: the sync recovers by itself", async () => {
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("outage", {
      source: { infrahubAPIURL: ih.url, ...creds },
      pollInterval: "5s",
    }),
  );
  await waitForCondition(env, "infrahubsync/outage", "Ready", "True", { timeoutMs: SLOW });
  for (const t of SEED_PLAN.targets)
    await eventually(async () => deployment(env, `ns-${t.name}`, t.name), {
      what: t.name,
      timeoutMs: SLOW,
    });
  const before = uids();
  expect(before).toHaveLength(SEED_PLAN.targets.length);

  await ih.stopProcesses();
  // Two stacks run side by side: the run's shared one is not affected by stopping this one.
  const shared = await sharedInfrahub();
  expect(shared.info.url).not.toBe(ih.url);
  expect(await shared.admin.artifacts("main")).toHaveLength(SEED_PLAN.targets.length);
  const down = await waitForCondition(env, "infrahubsync/outage", "Ready", "False", {
    timeoutMs: SLOW,
  });
  expect(["InfrahubUnavailable", "CircuitOpen"]).toContain(condition(down, "Ready")!.reason);
  // Several failed polls later, everything is still there.
  await new Promise(r => setTimeout(r, 15_000));
  expect(uids()).toEqual(before);
  for (const t of SEED_PLAN.targets)
    expect(deployment(env, `ns-${t.name}`, t.name)?.spec.replicas).toBe(t.replicas);

  await ih.startAgain();
  const back = await waitForCondition(env, "infrahubsync/outage", "Ready", "True", {
    timeoutMs: SLOW,
  });
  expect(back.status.artifactCount).toBe(SEED_PLAN.targets.length);
  expect(uids()).toEqual(before);
  expect(getJson(env, ["get", "infrahubsync", "outage"]).status.syncState).toBe("Succeeded");
  for (const t of SEED_PLAN.targets)
    expect(deployment(env, `ns-${t.name}`, t.name)?.spec.replicas).toBe(t.replicas);
});
