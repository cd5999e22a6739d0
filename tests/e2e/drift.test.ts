/**
 * Drift: objects changed or deleted behind the operator's back are put back, at once when events
 * are on (per VidraResource or globally), and at the re-apply interval in any case.
 */
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import { eventually } from "../support/cluster";
import { getJson, metric, waitForCondition } from "../support/operator-client";

let env: OperatorEnv;

beforeAll(async () => {
  env = await startOperatorEnv({ name: "drift" });
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

const manifest = (ns: string) => `
apiVersion: v1
kind: Namespace
metadata: { name: ${ns} }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings, namespace: ${ns} }
data: { color: blue }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: ${ns} }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: "nginx:1.27" }] }
`;

function vidraResource(name: string, ns: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: "infrahub.operators.com/v1alpha1",
    kind: "VidraResource",
    metadata: { name },
    spec: { manifest: manifest(ns), ...spec },
  });
}

const replicas = (ns: string) => getJson(env, ["get", "deployment", "-n", ns, "web"]).spec.replicas;
const color = (ns: string) => {
  const r = env.kubectlResult(["get", "configmap", "-n", ns, "settings", "-o", "json"]);
  return r.code === 0 ? JSON.parse(r.stdout).data.color : undefined;
};

test("with reconcileOnEvents, edits and deletions are repaired at once; status-only changes are ignored", async () => {
  env.kubectl(
    ["apply", "-f", "-"],
    vidraResource("events", "drift-events", {
      destination: { reconcileOnEvents: true },
      reapplyInterval: "1h",
    }),
  );
  await waitForCondition(env, "vidraresource/events", "Ready", "True");
  const drifts = await metric(env, "vidra_drift_detected_total");

  env.kubectl(["scale", "deployment", "-n", "drift-events", "web", "--replicas=5"]);
  await eventually(async () => replicas("drift-events") === 2, {
    what: "replicas repaired",
    timeoutMs: 15_000,
  });

  // ConfigMaps have no generation: Vidra's event mode never saw these edits.
  env.kubectl([
    "patch",
    "configmap",
    "-n",
    "drift-events",
    "settings",
    "--type=merge",
    "-p",
    '{"data":{"color":"red"}}',
  ]);
  await eventually(async () => color("drift-events") === "blue", {
    what: "ConfigMap repaired",
    timeoutMs: 15_000,
  });

  env.kubectl(["delete", "configmap", "-n", "drift-events", "settings"]);
  await eventually(async () => color("drift-events") === "blue", {
    what: "ConfigMap recreated",
    timeoutMs: 15_000,
  });
  expect(await metric(env, "vidra_drift_detected_total")).toBeGreaterThanOrEqual(drifts + 3);

  // A status update (what a controller does all the time) is not drift.
  const settled = await metric(env, "vidra_drift_detected_total");
  env.kubectl([
    "patch",
    "deployment",
    "-n",
    "drift-events",
    "web",
    "--subresource=status",
    "--type=merge",
    "-p",
    '{"status":{"observedGeneration":1}}',
  ]);
  await new Promise(r => setTimeout(r, 3000));
  expect(await metric(env, "vidra_drift_detected_total")).toBe(settled);
});

test("without events, the periodic re-apply repairs drift", async () => {
  env.kubectl(
    ["apply", "-f", "-"],
    vidraResource("periodic", "drift-periodic", { reapplyInterval: "2s" }),
  );
  await waitForCondition(env, "vidraresource/periodic", "Ready", "True");
  const drifts = await metric(env, "vidra_drift_detected_total");
  env.kubectl(["scale", "deployment", "-n", "drift-periodic", "web", "--replicas=7"]);
  env.kubectl(["delete", "configmap", "-n", "drift-periodic", "settings"]);
  await eventually(
    async () => replicas("drift-periodic") === 2 && color("drift-periodic") === "blue",
    { what: "periodic repair", timeoutMs: 20_000 },
  );
  expect(await metric(env, "vidra_drift_detected_total")).toBe(drifts);
});

test("the global eventBasedReconcile switch turns watches on, and periodic re-apply keeps running", async () => {
  env.kubectl(
    ["apply", "-f", "-"],
    vidraResource("global", "drift-global", { reapplyInterval: "2s" }),
  );
  await waitForCondition(env, "vidraresource/global", "Ready", "True");
  env.kubectl([
    "create",
    "configmap",
    "vidra-config",
    "-n",
    "pepr-system",
    "--from-literal=eventBasedReconcile=true",
  ]);
  env.kubectl(["label", "configmap", "vidra-config", "-n", "pepr-system", "app=vidra"]);
  // Vidra panicked on a ConfigMap without requeueResourcesAfter; here the others keep their defaults.
  await new Promise(r => setTimeout(r, 3000));
  const before = await metric(env, "vidra_reconciles_total", { kind: "VidraResource" });
  const drifts = await metric(env, "vidra_drift_detected_total");
  env.kubectl([
    "patch",
    "configmap",
    "-n",
    "drift-global",
    "settings",
    "--type=merge",
    "-p",
    '{"data":{"color":"green"}}',
  ]);
  await eventually(async () => color("drift-global") === "blue", {
    what: "repaired",
    timeoutMs: 15_000,
  });
  expect(await metric(env, "vidra_drift_detected_total")).toBeGreaterThan(drifts);
  // Vidra's event mode set a shared RequeueAfter to 0: periodic re-apply stopped for everyone.
  await new Promise(r => setTimeout(r, 5000));
  expect(
    await metric(env, "vidra_reconciles_total", { kind: "VidraResource" }),
  ).toBeGreaterThanOrEqual(before + 4);
  expect(await env.module.logTail(500)).not.toMatch(/panic|TypeError|uncaught/i);
});

test("a controller scaling a Deployment (as an HPA does) is not drift, and is not undone", async () => {
  env.kubectl(
    ["apply", "-f", "-"],
    vidraResource("hpa", "drift-hpa", {
      destination: { reconcileOnEvents: true },
      reapplyInterval: "2s",
    }),
  );
  await waitForCondition(env, "vidraresource/hpa", "Ready", "True");
  await new Promise(r => setTimeout(r, 2000));
  const drifts = await metric(env, "vidra_drift_detected_total");
  env.kubectl([
    "patch",
    "deployment",
    "-n",
    "drift-hpa",
    "web",
    "--subresource=scale",
    "--field-manager=kube-controller-manager",
    "--type=merge",
    "-p",
    '{"spec":{"replicas":5}}',
  ]);
  // Several re-apply intervals pass: the replicas stay the controller's, and no drift is counted.
  await new Promise(r => setTimeout(r, 8000));
  expect(replicas("drift-hpa")).toBe(5);
  expect(await metric(env, "vidra_drift_detected_total")).toBe(drifts);
  expect(
    (await waitForCondition(env, "vidraresource/hpa", "Ready", "True")).status.DeployState,
  ).toBe("Succeeded");
});
