/**
 * Health (spec.wait): on a local cluster whose pods run (KWOK), Ready means applied and healthy.
 * A rollout that never becomes ready is Reconciling, then after the timeout Ready=False and Stalled
 * with the object and why; fixed, it rolls out and becomes Ready; a Job that fails fails the wait at
 * once; without wait nothing changes. The sync aggregates its VidraResources' health.
 */
import { dump } from "js-yaml";
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import { eventually } from "../support/cluster";
import { syncJson } from "../support/fixtures";
import {
  condition,
  createInfrahubSecret,
  getJson,
  metric,
  syncNowAndWait,
  waitForCondition,
  type Json,
} from "../support/operator-client";

const DEFS = {
  web: { name: "Web_Definition", artifactName: "Web_Manifest", contentType: "application/yaml" },
  stuck: {
    name: "Stuck_Definition",
    artifactName: "Stuck_Manifest",
    contentType: "application/yaml",
  },
  job: { name: "Job_Definition", artifactName: "Job_Manifest", contentType: "application/yaml" },
  plain: {
    name: "Plain_Definition",
    artifactName: "Plain_Manifest",
    contentType: "application/yaml",
  },
};

function webManifest(ns: string, podAnnotations: Record<string, string> = {}): string {
  const labels = { app: "web" };
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: ns },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels, annotations: podAnnotations },
          spec: { containers: [{ name: "web", image: "nginx:1.27" }] },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: ns },
      spec: { selector: labels, ports: [{ port: 80 }] },
    },
  ]
    .map(d => `---\n${dump(d)}`)
    .join("");
}

const failingJob = (ns: string): string =>
  [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
    {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "migrate", namespace: ns },
      spec: {
        backoffLimit: 0,
        template: {
          metadata: { annotations: { "kwok.vidra-pepr.dev/exit-code": "1" } },
          spec: { restartPolicy: "Never", containers: [{ name: "migrate", image: "busybox" }] },
        },
      },
    },
  ]
    .map(d => `---\n${dump(d)}`)
    .join("");

const IMAGE_PULL = { "kwok.vidra-pepr.dev/waiting-reason": "ImagePullBackOff" };

let env: OperatorEnv;
const ids: Record<string, string> = {};

beforeAll(async () => {
  env = await startOperatorEnv({
    name: "health",
    workloads: true,
    sim: {
      seed: {
        users: [{ username: "admin", password: "infrahub" }],
        definitions: Object.values(DEFS),
        artifacts: [
          { definition: DEFS.web.name, target: { label: "web" }, content: webManifest("h-web") },
          {
            definition: DEFS.stuck.name,
            target: { label: "stuck" },
            content: webManifest("h-stuck", IMAGE_PULL),
          },
          { definition: DEFS.job.name, target: { label: "job" }, content: failingJob("h-job") },
          {
            definition: DEFS.plain.name,
            target: { label: "plain" },
            content: webManifest("h-plain", IMAGE_PULL),
          },
        ],
      },
    },
  });
  for (const a of env.sim.listArtifacts("main")) ids[a.targetLabel!] = a.id;
  createInfrahubSecret(env);
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

function createSync(name: string, artefactName: string, spec: Record<string, unknown>): void {
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson(name, {
      source: {
        infrahubAPIURL: env.sim.url,
        artefactName,
        credentialsSecretRef: { name: "infrahub", namespace: "default" },
      },
      pollInterval: "1h",
      ...spec,
    }),
  );
}

const deployment = (ns: string): Json => getJson(env, ["get", "deployment", "-n", ns, "web"]);

test("a healthy rollout: Ready only once the Deployment is available", async () => {
  createSync("healthy", DEFS.web.artifactName, { wait: true, timeout: "5m" });
  const vr = await waitForCondition(env, `vidraresource/${ids.web}`, "Ready", "True", {
    reason: "Healthy",
    timeoutMs: 90_000,
  });
  // Ready came after the rollout, never before it.
  expect(deployment("h-web").status.availableReplicas).toBe(2);
  expect(vr.spec).toMatchObject({ wait: true, timeout: "5m" });
  expect(vr.status.health).toMatchObject({ status: "Healthy", unhealthyCount: 0, unhealthy: [] });
  expect(vr.status.DeployState).toBe("Succeeded");
  expect(condition(vr, "Ready")!.message).toBe(
    "3 object(s) applied to this cluster; all 3 healthy",
  );
  const sync = await waitForCondition(env, "infrahubsync/healthy", "Ready", "True");
  expect(condition(sync, "Ready")!.message).toBe(
    "1 artifact(s) from branch main applied and healthy",
  );
});

test("a rollout that never becomes ready: Reconciling with why, then Ready=False and Stalled after the timeout", async () => {
  createSync("stuck", DEFS.stuck.artifactName, { wait: true, timeout: "10m" });
  const vrName = `vidraresource/${ids.stuck}`;
  const waiting =
    "waiting for 1 of 3 object(s) to become healthy: Deployment/h-stuck/web: 0/2 available: ImagePullBackOff";
  const progressing = await eventually(
    async () => {
      const vr = getJson(env, ["get", vrName]);
      const c = condition(vr, "Reconciling");
      return c?.status === "True" && c.message === waiting ? vr : undefined;
    },
    { what: "the stuck VidraResource Reconciling with ImagePullBackOff", timeoutMs: 90_000 },
  );
  expect(condition(progressing, "Ready")).toMatchObject({
    status: "Unknown",
    reason: "Progressing",
    message: waiting,
  });
  expect(progressing.status.DeployState).toBe("Running");
  const syncProgressing = await waitForCondition(env, "infrahubsync/stuck", "Reconciling", "True");
  expect(condition(syncProgressing, "Ready")!.reason).toBe("Progressing");

  // A shorter timeout is a new spec: the wait starts again and ends 5 s later.
  env.kubectl([
    "patch",
    "infrahubsync",
    "stuck",
    "--type=merge",
    "-p",
    '{"spec":{"timeout":"5s"}}',
  ]);
  const failed = await waitForCondition(env, vrName, "Ready", "False", {
    reason: "HealthCheckFailed",
    timeoutMs: 90_000,
  });
  expect(condition(failed, "Ready")!.message).toBe(
    "1 of 3 object(s) not healthy after 5s: Deployment/h-stuck/web: 0/2 available: ImagePullBackOff",
  );
  expect(condition(failed, "Stalled")).toMatchObject({
    status: "True",
    reason: "HealthCheckFailed",
  });
  expect(condition(failed, "Reconciling")).toBeUndefined();
  expect(failed.status.DeployState).toBe("Failed");
  expect(failed.status.health).toMatchObject({
    status: "Unhealthy",
    unhealthyCount: 1,
    unhealthy: [
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        namespace: "h-stuck",
        name: "web",
        status: "InProgress",
        message: "0/2 available: ImagePullBackOff",
      },
    ],
  });
  const sync = await waitForCondition(env, "infrahubsync/stuck", "Ready", "False", {
    reason: "HealthCheckFailed",
  });
  expect(condition(sync, "Stalled")?.status).toBe("True");
  expect(condition(sync, "Ready")!.message).toMatch(
    new RegExp(
      `^1 of 1 VidraResource\\(s\\) unhealthy; ${ids.stuck}: 1 of 3 object\\(s\\) not healthy after 5s: Deployment/h-stuck/web: 0/2 available: ImagePullBackOff$`,
    ),
  );
  // What a person sees.
  const described = env.kubectl(["describe", "vidraresource", ids.stuck]);
  expect(described).toMatch(/Warning\s+HealthCheckFailed/);
  expect(env.kubectl(["get", "infrahubsync", "stuck", "-o", "wide"])).toMatch(
    /stuck\s+main\s+Stuck_Manifest\s+Failed\s+False\s+1\s+\S+\s+1 of 1 VidraResource\(s\) unhealthy/,
  );
});

test("the stuck rollout, fixed in Infrahub, rolls out and becomes Ready", async () => {
  env.sim.setArtifactContent("main", ids.stuck, webManifest("h-stuck"));
  await syncNowAndWait(env, "stuck");
  const vr = await waitForCondition(env, `vidraresource/${ids.stuck}`, "Ready", "True", {
    reason: "Healthy",
    timeoutMs: 90_000,
  });
  expect(condition(vr, "Stalled")).toBeUndefined();
  expect(deployment("h-stuck").status.availableReplicas).toBe(2);
  await waitForCondition(env, "infrahubsync/stuck", "Ready", "True");
  const events = env.kubectl(["describe", "vidraresource", ids.stuck]);
  expect(events).toMatch(/Normal\s+Healthy/);
});

test("a Job that fails fails the wait at once, long before the timeout", async () => {
  createSync("jobs", DEFS.job.artifactName, { wait: true, timeout: "30m" });
  const vr = await waitForCondition(env, `vidraresource/${ids.job}`, "Ready", "False", {
    reason: "HealthCheckFailed",
    timeoutMs: 90_000,
  });
  expect(condition(vr, "Ready")!.message).toMatch(
    /^1 of 2 object\(s\) failed: Job\/h-job\/migrate: failed: BackoffLimitExceeded: .*: Error \(exit code 1\)$/,
  );
  expect(condition(vr, "Stalled")?.status).toBe("True");
  await waitForCondition(env, "infrahubsync/jobs", "Ready", "False", {
    reason: "HealthCheckFailed",
  });
});

test("without wait, Ready means applied, as before, and no health is reported", async () => {
  createSync("nowait", DEFS.plain.artifactName, {});
  const sync = await waitForCondition(env, "infrahubsync/nowait", "Ready", "True");
  expect(condition(sync, "Ready")!.message).toBe("1 artifact(s) from branch main applied");
  const vr = await waitForCondition(env, `vidraresource/${ids.plain}`, "Ready", "True");
  expect(condition(vr, "Ready")!.reason).toBe("Applied");
  expect(vr.status.health).toBeUndefined();
  // Its Deployment never becomes available: without wait that is not the sync's concern.
  expect(deployment("h-plain").status?.availableReplicas ?? 0).toBe(0);
});

test("health is re-checked while objects roll out only: none at steady state", async () => {
  const during = await metric(env, "vidra_reconciles_total", {
    kind: "VidraResource",
    result: "health-check",
  });
  expect(during).toBeGreaterThan(0);
  await new Promise(r => setTimeout(r, 8000));
  const after = await metric(env, "vidra_reconciles_total", {
    kind: "VidraResource",
    result: "health-check",
  });
  expect(after).toBe(during);
});
