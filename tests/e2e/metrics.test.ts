/**
 * The operator's metrics, scraped from Pepr's /metrics endpoint as Prometheus would: its own after a
 * sync did some work and Infrahub failed once; then the controller-runtime/client-go names
 * (reconciles by controller and result, work queues, API requests by code) and the per-sync series,
 * which appear with a sync and go when it is deleted.
 */
import { httpsGet } from "../../hack/control-plane/https-probe";
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import { eventually } from "../support/cluster";
import {
  WEBSERVER_DEFINITION,
  simArtifacts,
  syncJson,
  webserverManifest,
} from "../support/fixtures";
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

const scrape = async (): Promise<string> => {
  const res = await httpsGet(`https://127.0.0.1:${env.module.port}/metrics`, {
    ca: env.cluster.cp.details.caPem,
  });
  expect(res.status).toBe(200);
  return res.body;
};

const source = (extra: Record<string, unknown> = {}) => ({
  infrahubAPIURL: env.sim.url,
  discovery: "GraphQL",
  credentialsSecretRef: { name: "infrahub", namespace: "default" },
  ...extra,
});

test("reconciles, queues, API requests and per-sync series under controller-runtime's and client-go's names", async () => {
  simArtifacts(env.sim, "Polled_Manifest", { "fm-01": webserverManifest("fm-01") });
  simArtifacts(env.sim, "Once_Manifest", { "fm-02": webserverManifest("fm-02") });
  const before = Date.now() / 1000;
  // Polled every hour: a successful poll asks to run again later (controller-runtime's requeue_after).
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("polled", { source: source({ artefactName: "Polled_Manifest" }), pollInterval: "1h" }),
  );
  // Polling off: a successful fetch asks for nothing more (success).
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("once", { source: source({ artefactName: "Once_Manifest" }), pollInterval: "0" }),
  );
  // Credentials that do not exist: the reconciler records the failure in status (error).
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("broken", {
      source: source({ credentialsSecretRef: { name: "missing", namespace: "default" } }),
      pollInterval: "1h",
    }),
  );
  await waitForCondition(env, "infrahubsync/polled", "Ready", "True");
  await waitForCondition(env, "infrahubsync/once", "Ready", "True");
  await waitForCondition(env, "infrahubsync/broken", "Ready", "False");

  const sync = { controller: "infrahubsync" };
  await eventually(
    async () =>
      (await metric(env, "controller_runtime_reconcile_total", { ...sync, result: "success" })) >=
        1 &&
      (await metric(env, "controller_runtime_reconcile_total", {
        ...sync,
        result: "requeue_after",
      })) >= 1 &&
      (await metric(env, "controller_runtime_reconcile_errors_total", sync)) >= 1,
    { what: "infrahubsync reconciles counted as success, requeue_after and error" },
  );
  expect(
    await metric(env, "controller_runtime_reconcile_total", { ...sync, result: "error" }),
  ).toBe(await metric(env, "controller_runtime_reconcile_errors_total", sync));
  expect(
    await metric(env, "controller_runtime_reconcile_total", {
      controller: "vidraresource",
      result: "requeue_after",
    }),
  ).toBeGreaterThanOrEqual(1);
  expect(
    await metric(env, "controller_runtime_reconcile_time_seconds_count", sync),
  ).toBeGreaterThanOrEqual(3);
  expect(await metric(env, "controller_runtime_max_concurrent_reconciles", sync)).toBeGreaterThan(
    0,
  );

  const text = await scrape();
  for (const [name, type] of [
    ["controller_runtime_reconcile_total", "counter"],
    ["controller_runtime_reconcile_errors_total", "counter"],
    ["controller_runtime_reconcile_time_seconds", "histogram"],
    ["controller_runtime_active_workers", "gauge"],
    ["controller_runtime_max_concurrent_reconciles", "gauge"],
    ["workqueue_depth", "gauge"],
    ["workqueue_adds_total", "counter"],
    ["workqueue_queue_duration_seconds", "histogram"],
    ["workqueue_work_duration_seconds", "histogram"],
    ["workqueue_retries_total", "counter"],
    ["workqueue_unfinished_work_seconds", "gauge"],
    ["workqueue_longest_running_processor_seconds", "gauge"],
    ["rest_client_requests_total", "counter"],
    ["rest_client_request_duration_seconds", "histogram"],
    ["vidra_sync_last_success_timestamp_seconds", "gauge"],
    ["vidra_sync_ready", "gauge"],
  ])
    expect(text).toContain(`# TYPE ${name} ${type}`);
  // Pepr's own metrics are still served beside them.
  expect(text).toContain("# TYPE pepr_validate summary");

  const queue = { name: "infrahubsync", controller: "infrahubsync" };
  expect(await metric(env, "workqueue_adds_total", queue)).toBeGreaterThanOrEqual(3);
  expect(await metric(env, "workqueue_queue_duration_seconds_count", queue)).toBeGreaterThanOrEqual(
    3,
  );
  expect(await metric(env, "workqueue_work_duration_seconds_count", queue)).toBeGreaterThanOrEqual(
    3,
  );
  expect(
    await metric(env, "workqueue_adds_total", { name: "vidraresource" }),
  ).toBeGreaterThanOrEqual(2);
  expect(text).toMatch(/^workqueue_depth\{name="infrahubsync",controller="infrahubsync"\} \d+$/m);

  // Requests to the test cluster's API server, by numeric code, method and host:port.
  const host = new URL(env.cluster.cp.details.server).host;
  expect(
    await metric(env, "rest_client_requests_total", { code: "200", method: "GET", host }),
  ).toBeGreaterThanOrEqual(1);
  expect(
    await metric(env, "rest_client_requests_total", { code: "200", method: "PATCH", host }),
  ).toBeGreaterThanOrEqual(1);
  const codes = [...text.matchAll(/^rest_client_requests_total\{code="([^"]+)"/gm)].map(m => m[1]);
  expect(codes.length).toBeGreaterThan(0);
  for (const code of codes) expect(code).toMatch(/^(\d{3}|<error>)$/);
  expect(
    await metric(env, "rest_client_request_duration_seconds_count", { verb: "GET", host }),
  ).toBeGreaterThanOrEqual(1);

  // One series per sync, labelled by name.
  expect(await metric(env, "vidra_sync_ready", { name: "polled" })).toBe(1);
  expect(await metric(env, "vidra_sync_ready", { name: "once" })).toBe(1);
  expect(await metric(env, "vidra_sync_ready", { name: "broken" })).toBe(0);
  expect(await metric(env, "vidra_sync_poll_interval_seconds", { name: "polled" })).toBe(3600);
  expect(await metric(env, "vidra_sync_poll_interval_seconds", { name: "once" })).toBe(0);
  expect(await metric(env, "vidra_sync_suspended", { name: "polled" })).toBe(0);
  const lastSuccess = await metric(env, "vidra_sync_last_success_timestamp_seconds", {
    name: "polled",
  });
  expect(lastSuccess).toBeGreaterThanOrEqual(Math.floor(before));
  expect(lastSuccess).toBeLessThanOrEqual(Date.now() / 1000);
  expect(text).not.toContain('vidra_sync_last_success_timestamp_seconds{name="broken"}');

  // Deleted: its series go, the others stay.
  env.kubectl(["delete", "infrahubsync", "polled", "--wait=false"]);
  await eventually(async () => !(await scrape()).includes('{name="polled"}'), {
    what: "the deleted sync's series to go",
  });
  const after = await scrape();
  expect(after).toContain('vidra_sync_ready{name="once"} 1');
  expect(after).toContain('vidra_sync_ready{name="broken"} 0');
});
