/**
 * The controller-runtime/client-go style metrics and the per-sync series, scraped from the running
 * operator's /metrics as Prometheus would (real kube-apiserver, Infrahub simulator): reconciles by
 * controller and result, work queues, API requests by code, and one series per sync that appears
 * with the sync and goes when it is deleted.
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
import { metric, waitForCondition, createInfrahubSecret } from "../support/operator-client";

let env: OperatorEnv;

beforeAll(async () => {
  env = await startOperatorEnv({
    name: "fleet-metrics",
    sim: {
      seed: {
        users: [{ username: "admin", password: "infrahub" }],
        definitions: [WEBSERVER_DEFINITION],
        artifacts: [
          {
            definition: WEBSERVER_DEFINITION.name,
            target: { label: "fm-01" },
            content: webserverManifest("fm-01"),
          },
        ],
      },
    },
  });
  createInfrahubSecret(env);
  simArtifacts(env.sim, "Once_Manifest", { "fm-02": webserverManifest("fm-02") });
}, 240_000);

afterAll(async () => {
  await env?.stop();
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

test("reconciles, queues, API requests and per-sync series under their usual names", async () => {
  const before = Date.now() / 1000;
  // Polled every hour: a successful poll asks to run again later (controller-runtime's requeue_after).
  env.kubectl(["apply", "-f", "-"], syncJson("polled", { source: source(), pollInterval: "1h" }));
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
