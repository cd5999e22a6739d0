/**
 * API-server outages: the operator process stays up however long the API server is gone, shows the
 * outage in its metrics and log, and once the API server is back the same process resumes its
 * watches, repairs drift and applies a change made after the outage. With Pepr's defaults its watches
 * gave up after five failed reconnects (about 30 s) and the process exited.
 */
import { isAlive } from "../../hack/control-plane/processes";
import { eventually } from "../support/cluster";
import { syncJson } from "../support/fixtures";
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import {
  createInfrahubSecret,
  metric,
  requestSyncNow,
  waitForCondition,
} from "../support/operator-client";

const OUTAGE_MS = 120_000;

const DEFINITION = { name: "Outage_Definition", artifactName: "Outage_Manifest" };
const configMap = (value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: outage, namespace: default }\ndata: { value: "${value}" }\n`;

const sleep = (ms: number) => new Promise(r => setTimeout(r, Math.max(0, ms)));

async function startEnv(
  name: string,
  moduleEnv: Record<string, string> = {},
): Promise<OperatorEnv> {
  const env = await startOperatorEnv({
    name,
    moduleEnv,
    sim: {
      seed: {
        users: [{ username: "admin", password: "infrahub" }],
        definitions: [DEFINITION],
        artifacts: [
          { definition: DEFINITION.name, target: { label: "outage" }, content: configMap("v1") },
        ],
      },
    },
  });
  createInfrahubSecret(env);
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("outage", {
      source: {
        infrahubAPIURL: env.sim.url,
        artefactName: DEFINITION.artifactName,
        credentialsSecretRef: { name: "infrahub", namespace: "default" },
      },
      destination: { reconcileOnEvents: true },
      pollInterval: "1h",
      reapplyInterval: "1h",
    }),
  );
  await waitForCondition(env, "infrahubsync/outage", "Ready", "True", { timeoutMs: 120_000 });
  return env;
}

const valueOf = (env: OperatorEnv): string | undefined => {
  const r = env.kubectlResult(["get", "configmap", "-n", "default", "outage", "-o", "json"]);
  return r.code === 0 ? JSON.parse(r.stdout).data?.value : undefined;
};

/** After the outage: a change made in Infrahub now reaches the cluster, and drift is repaired. */
async function expectWorking(env: OperatorEnv, value: string): Promise<void> {
  const artifact = env.sim.listArtifacts("main")[0];
  env.sim.setArtifactContent("main", artifact.id, configMap(value));
  requestSyncNow(env, "outage");
  await eventually(async () => valueOf(env) === value, {
    what: `the change made after the outage (${value}) applied`,
    timeoutMs: 120_000,
  });
  env.kubectl([
    "patch",
    "configmap",
    "-n",
    "default",
    "outage",
    "--type=merge",
    "-p",
    '{"data":{"value":"edited by hand"}}',
  ]);
  await eventually(async () => valueOf(env) === value, {
    what: "the hand edit repaired",
    timeoutMs: 120_000,
  });
}

describe("with the operator's watch settings", () => {
  let env: OperatorEnv;
  beforeAll(async () => {
    env = await startEnv("outage");
  }, 300_000);
  afterAll(async () => {
    await env?.stop();
  });

  test("the same process rides out a 2-minute outage, shows it, then resumes and catches up", async () => {
    expect(valueOf(env)).toBe("v1");
    const pid = env.module.pid!;
    expect(await metric(env, "vidra_apiserver_up")).toBe(1);

    await env.cluster.cp.stopApiServer();
    const stoppedAt = Date.now();
    await eventually(async () => (await metric(env, "vidra_apiserver_up")) === 0, {
      what: "the outage in the metrics",
    });
    await sleep(stoppedAt + OUTAGE_MS - Date.now());
    expect(isAlive(pid)).toBe(true);
    expect(await metric(env, "vidra_apiserver_unreachable_seconds")).toBeGreaterThan(60);
    await env.cluster.cp.startApiServer();

    await eventually(async () => (await metric(env, "vidra_apiserver_up")) === 1, {
      what: "the end of the outage in the metrics",
    });
    expect(await metric(env, "vidra_apiserver_outages_total")).toBeGreaterThanOrEqual(1);
    expect(await metric(env, "vidra_apiserver_last_outage_seconds")).toBeGreaterThan(60);
    await expectWorking(env, "v2");

    expect(isAlive(pid)).toBe(true);
    expect(env.module.pid).toBe(pid);
    const log = await env.module.logTail(100_000);
    expect(log).toContain("the API server is unreachable");
    expect(log).toContain("the API server is reachable again");
    // Pepr's own watches resumed: none gave up, so the operator never had to take them over.
    expect(log).not.toContain("GiveUp");
    expect(await metric(env, "vidra_watch_give_ups_total")).toBe(0);
  }, 600_000);
});

describe("when a Pepr watch gives up anyway (a low PEPR_RESYNC_FAILURE_MAX)", () => {
  let env: OperatorEnv;
  beforeAll(async () => {
    env = await startEnv("outage-give-up", {
      PEPR_RESYNC_FAILURE_MAX: "1",
      PEPR_RESYNC_DELAY_SECONDS: "1",
    });
  }, 300_000);
  afterAll(async () => {
    await env?.stop();
  });

  test("the process stays up and the operator's own watches take over", async () => {
    const pid = env.module.pid!;
    await env.cluster.cp.stopApiServer();
    await eventually(
      async () => (await env.module.logTail(100_000)).includes("a Pepr watch gave up reconnecting"),
      { what: "a Pepr watch to give up", timeoutMs: 90_000 },
    );
    expect(isAlive(pid)).toBe(true);
    await env.cluster.cp.startApiServer();
    await expectWorking(env, "v2");
    expect(isAlive(pid)).toBe(true);
    expect(await metric(env, "vidra_watch_give_ups_total")).toBeGreaterThanOrEqual(1);
    const log = await env.module.logTail(100_000);
    expect(log).toContain("watching with the operator's own watch");
  }, 600_000);
});
