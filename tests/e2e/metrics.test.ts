/**
 * The operator's metrics, scraped from Pepr's /metrics endpoint as Prometheus would, after a sync
 * did some work and Infrahub failed once.
 */
import { httpsGet } from "../../hack/control-plane/https-probe";
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import { eventually } from "../support/cluster";
import { WEBSERVER_DEFINITION, syncJson, webserverManifest } from "../support/fixtures";
import {
  metric,
  requestSyncNow,
  waitForCondition,
  createInfrahubSecret,
} from "../support/operator-client";

let env: OperatorEnv;

beforeAll(async () => {
  env = await startOperatorEnv({
    name: "metrics",
    sim: {
      seed: {
        users: [{ username: "admin", password: "infrahub" }],
        definitions: [WEBSERVER_DEFINITION],
        artifacts: [
          {
            definition: WEBSERVER_DEFINITION.name,
            target: { label: "x-01" },
            content: webserverManifest("x-01"),
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

test("a scrape shows syncs by result, durations, objects, Infrahub requests, queues and the breaker", async () => {
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("measured", {
      source: {
        infrahubAPIURL: env.sim.url,
        discovery: "GraphQL",
        credentialsSecretRef: { name: "infrahub", namespace: "default" },
      },
      pollInterval: "1h",
    }),
  );
  await waitForCondition(env, "infrahubsync/measured", "Ready", "True");
  env.sim.injectFault({ endpoint: "POST /graphql", kind: "status", status: 500, times: 1 });
  requestSyncNow(env, "measured");
  await eventually(
    async () =>
      (await metric(env, "vidra_infrahub_requests_total", {
        endpoint: "POST /graphql",
        status: "500",
      })) >= 1,
    {
      what: "the failed request to be counted",
    },
  );

  const scrape = await httpsGet(`https://127.0.0.1:${env.module.port}/metrics`, {
    ca: env.cluster.cp.details.caPem,
  });
  expect(scrape.status).toBe(200);
  const text = scrape.body;
  // Pepr's own metrics are still there, ours are appended.
  expect(text).toContain("# TYPE pepr_validate summary");
  for (const [name, type] of [
    ["vidra_reconciles_total", "counter"],
    ["vidra_reconcile_duration_seconds", "histogram"],
    ["vidra_objects_total", "counter"],
    ["vidra_artifact_downloads_total", "counter"],
    ["vidra_infrahub_requests_total", "counter"],
    ["vidra_infrahub_request_duration_seconds", "histogram"],
    ["vidra_infrahub_circuit_state", "gauge"],
    ["vidra_queue_depth", "gauge"],
    ["vidra_queue_retries_total", "counter"],
    ["vidra_kube_requests_total", "counter"],
    ["vidra_drift_detected_total", "counter"],
  ]) {
    expect(text).toContain(`# TYPE ${name} ${type}`);
  }
  expect(
    await metric(env, "vidra_reconciles_total", { kind: "InfrahubSync", result: "changed" }),
  ).toBeGreaterThanOrEqual(1);
  expect(
    await metric(env, "vidra_reconciles_total", { kind: "VidraResource", result: "applied" }),
  ).toBeGreaterThanOrEqual(1);
  expect(await metric(env, "vidra_objects_total", { action: "created" })).toBe(4);
  expect(await metric(env, "vidra_artifact_downloads_total")).toBe(1);
  expect(
    await metric(env, "vidra_infrahub_requests_total", {
      endpoint: "POST /api/auth/login",
      status: "200",
    }),
  ).toBe(1);
  expect(
    await metric(env, "vidra_reconcile_duration_seconds_count", { kind: "VidraResource" }),
  ).toBeGreaterThanOrEqual(1);
  expect(
    await metric(env, "vidra_infrahub_request_duration_seconds_count", {
      endpoint: "POST /graphql",
    }),
  ).toBeGreaterThanOrEqual(2);
  expect(text).toMatch(/vidra_queue_depth\{queue="(infrahubsync|vidraresource)"\} \d+/);
});
