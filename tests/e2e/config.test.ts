/**
 * The operator ConfigMap (label app=vidra, in the operator's namespace) is read live: intervals and the stored query
 * name change without a restart; missing or bad keys fall back to defaults with a warning.
 */
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import { eventually } from "../support/cluster";
import { WEBSERVER_DEFINITION, syncJson, webserverManifest } from "../support/fixtures";
import { waitForCondition, createInfrahubSecret } from "../support/operator-client";

let env: OperatorEnv;

beforeAll(async () => {
  env = await startOperatorEnv({
    name: "config",
    sim: {
      seed: {
        definitions: [WEBSERVER_DEFINITION],
        artifacts: [
          {
            definition: WEBSERVER_DEFINITION.name,
            target: { label: "k-01" },
            content: webserverManifest("k-01"),
          },
        ],
        storedQueries: [
          {
            name: "MyArtifacts",
            query:
              "query MyArtifacts($artifactname: [String]) { CoreArtifact(name__values: $artifactname) { edges { node { id checksum { value } storage_id { value } } } } }",
          },
        ],
      },
    },
  });
  createInfrahubSecret(env);
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

function setConfig(data: Record<string, string>): void {
  env.kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "vidra-config", namespace: "pepr-system", labels: { app: "vidra" } },
      data,
    }),
  );
}

const polls = () =>
  (env.sim.requestCounts()["POST /api/query"] ?? 0) +
  (env.sim.requestCounts()["POST /graphql"] ?? 0);

test("requeueSyncAfter sets the default poll interval, live", async () => {
  setConfig({ requeueSyncAfter: "2s" });
  await new Promise(r => setTimeout(r, 1000));
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("cfg", {
      source: {
        infrahubAPIURL: env.sim.url,
        credentialsSecretRef: { name: "infrahub", namespace: "default" },
      },
    }),
  );
  await waitForCondition(env, "infrahubsync/cfg", "Ready", "True");
  env.sim.resetCounts();
  await new Promise(r => setTimeout(r, 6500));
  expect(polls()).toBeGreaterThanOrEqual(2);

  setConfig({ requeueSyncAfter: "1h" });
  await new Promise(r => setTimeout(r, 3000)); // the poll already scheduled still runs once
  env.sim.resetCounts();
  await new Promise(r => setTimeout(r, 5000));
  expect(polls()).toBe(0);
});

test("queryName switches the stored query, live", async () => {
  setConfig({ requeueSyncAfter: "1h", queryName: "MyArtifacts" });
  await new Promise(r => setTimeout(r, 1000));
  env.sim.resetCounts();
  env.kubectl([
    "annotate",
    "--overwrite",
    "infrahubsync",
    "cfg",
    `infrahub.operators.com/sync-now=${Date.now()}`,
  ]);
  await eventually(
    async () => env.sim.requestLog.some(r => r.path.startsWith("/api/query/MyArtifacts")),
    { what: "the new stored query to be used" },
  );
  await waitForCondition(env, "infrahubsync/cfg", "Ready", "True");
});

test("bad values and Vidra CLI's misspelt key: defaults and a warning, never a crash", async () => {
  setConfig({
    requeueSyncAfter: "soon",
    requeueResourceAfter: "3s",
    eventBasedReconcile: "yes please",
  });
  await eventually(
    async () =>
      /requeueSyncAfter: \\"soon\\" is not a valid duration/.test(await env.module.logTail(400)),
    {
      what: "warning logged",
    },
  ).catch(async err => {
    throw new Error(`${err.message}\n${await env.module.logTail(40)}`);
  });
  const log = await env.module.logTail(400);
  expect(log).toMatch(/eventBasedReconcile: \\"yes please\\" is not true or false/);
  expect(log).toMatch(/"requeueResourcesAfterMs":3000/);
  // Still working.
  env.kubectl([
    "annotate",
    "--overwrite",
    "infrahubsync",
    "cfg",
    `infrahub.operators.com/sync-now=${Date.now()}`,
  ]);
  await waitForCondition(env, "infrahubsync/cfg", "Ready", "True");
  env.kubectl(["delete", "configmap", "vidra-config", "-n", "pepr-system"]);
});
