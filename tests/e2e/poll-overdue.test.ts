/**
 * A poll that waits for a worker says so: three syncs polling every 2 s through one worker, against
 * an Infrahub that takes 2.5 s to answer, cannot all be served on time. Their status gets the
 * condition PollOverdue (with how long the poll has waited and what to change), the metrics count
 * them, and once Infrahub is fast again and the intervals fit, the condition and the count go away.
 */
import { eventually } from "../support/cluster";
import { syncJson } from "../support/fixtures";
import {
  createInfrahubSecret,
  getJson,
  metric,
  waitForCondition,
  type Condition,
} from "../support/operator-client";
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";

const SYNCS = ["late-1", "late-2", "late-3"];
let env: OperatorEnv;

beforeAll(async () => {
  env = await startOperatorEnv({
    name: "overdue",
    moduleEnv: { VIDRA_SYNC_CONCURRENCY: "1", VIDRA_POLL_OVERDUE_AFTER: "1s" },
    sim: { seed: { users: [{ username: "admin", password: "infrahub" }] } },
  });
  createInfrahubSecret(env);
}, 300_000);

afterAll(async () => {
  await env?.stop();
});

function overdueConditions(): Array<{ sync: string; condition: Condition }> {
  const items = getJson(env, ["get", "infrahubsyncs"]).items as Array<{
    metadata: { name: string };
    status?: { conditions?: Condition[] };
  }>;
  return items.flatMap(s =>
    (s.status?.conditions ?? [])
      .filter(c => c.type === "PollOverdue")
      .map(condition => ({ sync: s.metadata.name, condition })),
  );
}

test("polls waiting for a worker are shown in status and metrics, and cleared once served", async () => {
  for (const name of SYNCS) {
    const definition = `Overdue_${name}`;
    env.sim.upsertDefinition({ name: definition, artifactName: `${definition}_Manifest` });
    env.sim.upsertArtifact("main", {
      definition,
      target: { label: name },
      content: `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}, namespace: default }\ndata: { v: "1" }\n`,
    });
    env.kubectl(
      ["apply", "-f", "-"],
      syncJson(name, {
        source: {
          infrahubAPIURL: env.sim.url,
          artefactName: `${definition}_Manifest`,
          discovery: "GraphQL",
          credentialsSecretRef: { name: "infrahub", namespace: "default" },
        },
        pollInterval: "2s",
      }),
    );
  }
  for (const name of SYNCS) await waitForCondition(env, `infrahubsync/${name}`, "Ready", "True");

  env.sim.injectFault({ endpoint: "*", kind: "latency", ms: 2_500 });
  const seen = await eventually(async () => overdueConditions()[0], {
    what: "a sync marked PollOverdue",
    timeoutMs: 120_000,
    intervalMs: 500,
  });
  expect(seen.condition).toMatchObject({ status: "True", reason: "WaitingForWorker" });
  expect(seen.condition.message).toMatch(
    /the poll due at \S+ has waited \d+ s for a worker: .*VIDRA_SYNC_CONCURRENCY/,
  );
  await eventually(async () => (await metric(env, "vidra_syncs_poll_overdue")) > 0, {
    what: "vidra_syncs_poll_overdue > 0",
    timeoutMs: 60_000,
  });
  expect(await metric(env, "vidra_poll_delay_seconds_count")).toBeGreaterThan(0);

  // Infrahub is fast again and the intervals fit: the next reconcile of each sync clears it.
  env.sim.clearFaults();
  for (const name of SYNCS)
    env.kubectl([
      "patch",
      "infrahubsync",
      name,
      "--type=merge",
      "-p",
      '{"spec":{"pollInterval":"1h"}}',
    ]);
  await eventually(async () => overdueConditions().length === 0, {
    what: "no sync marked PollOverdue",
    timeoutMs: 120_000,
  });
  await eventually(async () => (await metric(env, "vidra_syncs_poll_overdue")) === 0, {
    what: "vidra_syncs_poll_overdue back to 0",
    timeoutMs: 60_000,
  });
  for (const name of SYNCS) await waitForCondition(env, `infrahubsync/${name}`, "Ready", "True");
});
