/**
 * targetDate against a real Infrahub: an absolute time applies the artifacts as they were then,
 * a relative one (now-10s) is resolved by Infrahub, and a time before the branch existed is a
 * clear status that prunes nothing. On a branch of this file's own, changed twice.
 */
import { SEED_PLAN } from "../../hack/real-infrahub/seed";
import { eventually } from "../support/cluster";
import { syncJson } from "../support/fixtures";
import { condition, waitForCondition, type Json } from "../support/operator-client";
import {
  creds,
  deleteAllSyncs,
  deleteSync,
  deployment,
  startRealEnv,
  testBranch,
  vidraResourcesOf,
  type RealEnv,
  SLOW,
} from "./support/real-env";

let env: RealEnv;
let branch: string;
let branchCreatedAt: string;
/** Moments when web-01 had 2 (as seeded), 6, and then 8 replicas on the branch. */
let atSeeded: string;
let atSix: string;
let eightReadyAt: number;

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

beforeAll(async () => {
  env = await startRealEnv("ri-time");
  ({ name: branch, createdAt: branchCreatedAt } = await testBranch(env.ih.admin, "time"));
  await sleep(1500);
  atSeeded = new Date().toISOString();
  await sleep(1500);
  await env.ih.admin.changeTarget("web-01", { replicas: 6 }, branch);
  await sleep(1500);
  atSix = new Date().toISOString();
  await sleep(1500);
  await env.ih.admin.changeTarget("web-01", { replicas: 8 }, branch);
  eightReadyAt = Date.now();
}, 30 * 60_000);

// Each test deletes its sync; one that failed half-way must not leave it to the next.
afterEach(async () => {
  if (env) await deleteAllSyncs(env);
});

afterAll(async () => {
  await env?.stop();
});

function replicas(): number | undefined {
  return deployment(env, "ns-web-01", "web-01")?.spec.replicas;
}

async function syncAt(name: string, targetDate: string | undefined): Promise<Json> {
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson(name, {
      source: {
        infrahubAPIURL: env.ih.info.url,
        targetBranch: branch,
        ...(targetDate ? { targetDate } : {}),
        ...creds,
      },
      pollInterval: "1h",
    }),
  );
  return waitForCondition(env, `infrahubsync/${name}`, "Ready", "True", { timeoutMs: SLOW });
}

test("an absolute targetDate applies the artifacts as they were at that time", async () => {
  expect(Date.parse(atSeeded)).toBeGreaterThan(Date.parse(branchCreatedAt));
  await syncAt("seeded", atSeeded);
  await eventually(async () => replicas() === SEED_PLAN.targets[0].replicas, {
    what: "web-01 as it was when the branch was made",
    timeoutMs: SLOW,
  });
  await deleteSync(env, "seeded");

  const sync = await syncAt("six", atSix);
  await eventually(async () => replicas() === 6, {
    what: "web-01 as it was between the two changes",
    timeoutMs: SLOW,
  });
  const then = await env.ih.admin.artifacts(branch, atSix);
  expect(sync.status.artifacts.find((a: Json) => a.target === "web-01").checksum).toBe(
    then.find(a => a.target === "web-01")!.checksum,
  );
  await deleteSync(env, "six");
});

test("a relative targetDate (now-10s) is resolved by Infrahub at each poll", async () => {
  await sleep(Math.max(0, eightReadyAt + 12_000 - Date.now()));
  await syncAt("relative", "now-10s");
  await eventually(async () => replicas() === 8, {
    what: "web-01 at its latest content, older than 10 s",
    timeoutMs: SLOW,
  });
  await deleteSync(env, "relative");
});

// Infrahub answers 422 for a time before the database's main branch was created; a time between
// that and a branch's creation reads main's data as it was then (no error), so the branch that
// did not exist is main here.
test("a targetDate before the branch existed is a clear status and prunes nothing", async () => {
  await syncAt("early", undefined);
  await eventually(async () => replicas() === 8, { what: "web-01 at 8", timeoutMs: SLOW });
  const vrs = vidraResourcesOf(env, "early").map(v => v.metadata.uid);
  expect(vrs).toHaveLength(SEED_PLAN.targets.length);

  const mainCreatedAt = Date.parse(await env.ih.admin.branchCreatedAt("main"));
  const tooEarly = new Date(mainCreatedAt - 3600_000).toISOString();
  const hoursAgo = Math.ceil((Date.now() - mainCreatedAt) / 3600_000) + 1;
  for (const targetDate of [tooEarly, `now-${hoursAgo}h`]) {
    env.kubectl([
      "patch",
      "infrahubsync",
      "early",
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { source: { targetDate } } }),
    ]);
    const sync = await waitForCondition(env, "infrahubsync/early", "Ready", "False", {
      timeoutMs: SLOW,
    });
    const ready = condition(sync, "Ready")!;
    expect(ready.message).toMatch(/before/i);
    expect(ready.message).not.toMatch(/disagree on the API/);
    // Nothing deleted, nothing re-created.
    expect(
      vidraResourcesOf(env, "early")
        .map(v => v.metadata.uid)
        .sort(),
    ).toEqual(vrs.sort());
    expect(replicas()).toBe(8);
  }

  env.kubectl([
    "patch",
    "infrahubsync",
    "early",
    "--type=json",
    "-p",
    JSON.stringify([{ op: "remove", path: "/spec/source/targetDate" }]),
  ]);
  await waitForCondition(env, "infrahubsync/early", "Ready", "True", { timeoutMs: SLOW });
  await deleteSync(env, "early");
});
