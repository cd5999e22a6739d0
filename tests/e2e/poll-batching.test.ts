/**
 * One Infrahub request per group per interval: six syncs over two Infrahub addresses (two
 * simulators) and two branches form four groups (address + credentials + branch + date). At steady
 * state each group's syncs are polled by one GraphQL request per interval, counted at the
 * simulators per branch path, and every sync holds its own artifact. A failure of one group
 * (its branch's GraphQL answering 404) marks that group's syncs, each with its condition and Event,
 * and no other sync.
 */
import { startInfrahubSimulator } from "../../hack/infrahub-sim";
import type { InfrahubSimulator } from "../../hack/infrahub-sim/types";
import { eventually } from "../support/cluster";
import { syncJson } from "../support/fixtures";
import {
  condition,
  createInfrahubSecret,
  getJson,
  waitForCondition,
} from "../support/operator-client";
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";

const POLL_S = 3;
const BRANCH = "feature-b";
const USERS = { users: [{ username: "admin", password: "infrahub" }] };

let env: OperatorEnv;
let simB: InfrahubSimulator;

/** sync → which simulator and branch it reads; groups: a/main (2), a/feature (1), b/main (1), b/feature (2). */
const SYNCS: Array<{ name: string; sim: "a" | "b"; branch: string }> = [
  { name: "batch-a1", sim: "a", branch: "main" },
  { name: "batch-a2", sim: "a", branch: "main" },
  { name: "batch-a3", sim: "a", branch: BRANCH },
  { name: "batch-b1", sim: "b", branch: "main" },
  { name: "batch-b2", sim: "b", branch: BRANCH },
  { name: "batch-b3", sim: "b", branch: BRANCH },
];
const simOf = (s: { sim: "a" | "b" }) => (s.sim === "a" ? env.sim : simB);
const artifactIds = new Map<string, string>();

beforeAll(async () => {
  simB = await startInfrahubSimulator({ seed: USERS });
  env = await startOperatorEnv({ name: "batching", sim: { seed: USERS } });
  createInfrahubSecret(env);
  for (const s of SYNCS) {
    const sim = simOf(s);
    sim.upsertDefinition({ name: `Def_${s.name}`, artifactName: `Manifest_${s.name}` });
    const a = sim.upsertArtifact("main", {
      definition: `Def_${s.name}`,
      target: { label: s.name },
      content: `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${s.name}, namespace: default }\ndata: { v: "1" }\n`,
    });
    artifactIds.set(s.name, a.id);
  }
  // The branch starts as a copy of main: the same artifacts, with the same ids.
  env.sim.createBranch(BRANCH);
  simB.createBranch(BRANCH);
}, 300_000);

afterAll(async () => {
  await env?.stop();
  await simB?.stop();
});

/** POST /graphql requests per (simulator, path) since the counts were reset. */
function graphqlRequests(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [label, sim] of [
    ["a", env.sim],
    ["b", simB],
  ] as const)
    for (const e of sim.requestLog)
      if (e.endpoint === "POST /graphql") {
        const key = `${label}${e.path.split("?")[0]}`;
        out[key] = (out[key] ?? 0) + 1;
      }
  return out;
}

test("syncs sharing an Infrahub, credentials and branch are polled by one request per interval", async () => {
  for (const s of SYNCS)
    env.kubectl(
      ["apply", "-f", "-"],
      syncJson(s.name, {
        source: {
          infrahubAPIURL: simOf(s).url,
          artefactName: `Manifest_${s.name}`,
          targetBranch: s.branch,
          discovery: "GraphQL",
          credentialsSecretRef: { name: "infrahub", namespace: "default" },
        },
        pollInterval: `${POLL_S}s`,
      }),
    );
  for (const s of SYNCS) {
    const sync = await waitForCondition(env, `infrahubsync/${s.name}`, "Ready", "True", {
      timeoutMs: 120_000,
    });
    // Each sync got its own slice of its group's answer: its artifact, nothing else.
    expect(sync.status.artifacts.map((a: { id: string }) => a.id)).toEqual([
      artifactIds.get(s.name),
    ]);
    expect(getJson(env, ["get", "configmap", "-n", "default", s.name]).data).toEqual({ v: "1" });
  }

  // After their first poll every sync of a group is on its group's grid.
  await new Promise(r => setTimeout(r, 2 * POLL_S * 1000));
  env.sim.resetCounts();
  simB.resetCounts();
  const intervals = 5;
  await new Promise(r => setTimeout(r, intervals * POLL_S * 1000));
  const counts = graphqlRequests();
  process.stdout.write(
    `poll batching: POST /graphql per group over ${intervals} intervals of ${POLL_S} s: ${JSON.stringify(counts)} (6 syncs, 4 groups)\n`,
  );
  // One request per group per interval, plus one at each end of the window (a grid point on its
  // edge, a sync whose previous fetch ended late joining the grid one interval later). Polled one
  // by one, the two-sync groups would send about twice as many (10).
  expect(Object.keys(counts).sort()).toEqual([
    `a/graphql/${BRANCH}`,
    "a/graphql/main",
    `b/graphql/${BRANCH}`,
    "b/graphql/main",
  ]);
  for (const [group, n] of Object.entries(counts)) {
    expect({ group, n: n <= intervals + 2 }).toEqual({ group, n: true });
    expect(n).toBeGreaterThan(0);
  }
});

test("a failed batch marks only the syncs of its group, each with its condition and Event", async () => {
  simB.injectFault({
    endpoint: "POST /graphql",
    path: `/graphql/${BRANCH}`,
    kind: "status",
    status: 404,
  });
  try {
    const failing = SYNCS.filter(s => s.sim === "b" && s.branch === BRANCH);
    for (const s of failing) {
      const sync = await waitForCondition(env, `infrahubsync/${s.name}`, "Ready", "False", {
        timeoutMs: 60_000,
      });
      expect(condition(sync, "Ready")?.message).toMatch(/404|not found/i);
      const events = await eventually(
        async () => {
          const list = getJson(env, [
            "get",
            "events",
            "-n",
            "default",
            "--field-selector",
            `involvedObject.name=${s.name},type=Warning`,
          ]).items as unknown[];
          return list.length > 0 ? list : undefined;
        },
        { what: `a Warning Event on ${s.name}`, timeoutMs: 30_000 },
      );
      expect(events.length).toBeGreaterThan(0);
    }
    // Two more intervals: every other sync is still Ready, its group still polled.
    simB.resetCounts();
    env.sim.resetCounts();
    await new Promise(r => setTimeout(r, 2 * POLL_S * 1000));
    for (const s of SYNCS.filter(x => !failing.includes(x))) {
      const sync = getJson(env, ["get", "infrahubsync", s.name]);
      expect({ sync: s.name, ready: condition(sync, "Ready")?.status }).toEqual({
        sync: s.name,
        ready: "True",
      });
    }
    expect(graphqlRequests()["b/graphql/main"]).toBeGreaterThan(0);
  } finally {
    simB.clearFaults();
  }
  // Fixed: the group's syncs recover.
  for (const s of SYNCS)
    await waitForCondition(env, `infrahubsync/${s.name}`, "Ready", "True", { timeoutMs: 120_000 });
});
