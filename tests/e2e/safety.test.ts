/**
 * Safe by default: nothing is deleted because of an empty, failed or suspicious fetch; a bad
 * manifest applies nothing; existing objects are not taken over unasked; shared objects survive
 * while anyone lists them; two owners that disagree get a conflict, not a tug of war.
 */
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import { eventually } from "../support/cluster";
import { syncJson, webserverManifest, simArtifacts } from "../support/fixtures";
import {
  condition,
  getJson,
  requestSyncNow,
  waitForCondition,
  type Json,
  syncNowAndWait,
  createInfrahubSecret,
} from "../support/operator-client";

let env: OperatorEnv;

beforeAll(async () => {
  env = await startOperatorEnv({
    name: "safety",
    sim: { seed: { users: [{ username: "admin", password: "infrahub" }] } },
  });
  createInfrahubSecret(env);
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

const creds = { credentialsSecretRef: { name: "infrahub", namespace: "default" } };

/** A definition (artifact name) of its own per test, with artifacts for the given targets. */
const artifacts = (artifactName: string, contents: Record<string, string>) =>
  simArtifacts(env.sim, artifactName, contents);

function sync(name: string, artefactName: string, extra: Record<string, unknown> = {}): void {
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson(name, {
      source: { infrahubAPIURL: env.sim.url, artefactName, discovery: "GraphQL", ...creds },
      pollInterval: "1h",
      ...extra,
    }),
  );
}

function exists(args: string[]): boolean {
  return env.kubectlResult(["get", ...args]).code === 0;
}

test("an empty answer from Infrahub keeps everything; allowEmpty lets it prune", async () => {
  const ids = artifacts("Empty_Manifest", { "e-01": webserverManifest("e-01") });
  sync("empty", "Empty_Manifest");
  await waitForCondition(env, "infrahubsync/empty", "Ready", "True");
  await eventually(async () => exists(["deployment", "-n", "ns-e-01", "e-01"]), {
    what: "e-01 applied",
  });

  env.sim.deleteArtifact("main", ids["e-01"]);
  await syncNowAndWait(env, "empty");
  const s = await waitForCondition(env, "infrahubsync/empty", "Ready", "False", {
    reason: "EmptyResult",
  });
  expect(condition(s, "Ready")?.message).toContain("keeping the 1 VidraResource(s)");
  expect(exists(["vidraresource", ids["e-01"]])).toBe(true);
  expect(exists(["deployment", "-n", "ns-e-01", "e-01"])).toBe(true);

  env.kubectl([
    "patch",
    "infrahubsync",
    "empty",
    "--type=merge",
    "-p",
    '{"spec":{"allowEmpty":true}}',
  ]);
  await eventually(async () => !exists(["vidraresource", ids["e-01"]]), {
    what: "VidraResource removed",
  });
  await eventually(async () => !exists(["deployment", "-n", "ns-e-01", "e-01"]), {
    what: "objects pruned",
  });
});

test("an artifact that renders no objects is not stored; the previous version stays applied", async () => {
  const ids = artifacts("Blank_Manifest", { "b-01": webserverManifest("b-01") });
  sync("blank", "Blank_Manifest");
  await waitForCondition(env, "infrahubsync/blank", "Ready", "True");
  env.sim.setArtifactContent("main", ids["b-01"], "# nothing rendered\n---\n");
  await syncNowAndWait(env, "blank");
  const s = await waitForCondition(env, "infrahubsync/blank", "Ready", "False", {
    reason: "ArtifactRejected",
  });
  expect(condition(s, "Ready")?.message).toContain("has no Kubernetes objects");
  expect(s.status.artifacts[0].message).toContain("the previous version stays applied");
  expect(exists(["deployment", "-n", "ns-b-01", "b-01"])).toBe(true);
});

test("a malformed artifact applies nothing and the status names the document and the problem", async () => {
  const good = webserverManifest("m-01");
  const broken = `${good}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  name: y\n`;
  const ids = artifacts("Broken_Manifest", { "m-01": broken });
  sync("broken", "Broken_Manifest");
  const s = await waitForCondition(env, "infrahubsync/broken", "Ready", "False", {
    reason: "ArtifactRejected",
  });
  const message = condition(s, "Ready")!.message;
  expect(message).toContain(ids["m-01"]);
  expect(message).toMatch(/document 5.*name/);
  expect(exists(["vidraresource", ids["m-01"]])).toBe(false);
  expect(exists(["namespace", "ns-m-01"])).toBe(false);
  const events = env.kubectl([
    "get",
    "events",
    "-n",
    "default",
    "--field-selector",
    "involvedObject.name=broken",
    "-o",
    "json",
  ]);
  expect(JSON.parse(events).items.map((e: Json) => e.reason)).toContain("ArtifactRejected");
});

test("a hand-written VidraResource with an invalid object applies nothing and says which and why", async () => {
  const manifest = `${webserverManifest("h-01")}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: { name: bad, namespace: ns-h-01 }\nspec: { replicas: "many" }\n`;
  env.kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "infrahub.operators.com/v1alpha1",
      kind: "VidraResource",
      metadata: { name: "hand" },
      spec: { manifest },
    }),
  );
  const vr = await waitForCondition(env, "vidraresource/hand", "Ready", "False");
  expect(vr.status.DeployState).toBe("Failed");
  expect(condition(vr, "Stalled")?.status).toBe("True");
  expect(vr.status.lastError).toMatch(/Deployment\/ns-h-01\/bad: .*replicas/);
  // The Namespace is created first (objects inside it can only be dry-run then); nothing else is.
  expect(exists(["deployment", "-n", "ns-h-01", "h-01"])).toBe(false);
  env.kubectl(["delete", "vidraresource", "hand"]);
});

test("an existing object is not adopted unless asked; then it is taken over", async () => {
  env.kubectl(["create", "namespace", "ns-a-01"]);
  env.kubectl(["create", "deployment", "a-01", "-n", "ns-a-01", "--image=busybox"]);
  const ids = artifacts("Adopt_Manifest", { "a-01": webserverManifest("a-01") });
  sync("adopt", "Adopt_Manifest");
  const vr = await waitForCondition(env, `vidraresource/${ids["a-01"]}`, "Ready", "False", {
    reason: "AdoptionRefused",
  });
  expect(vr.status.lastError).toContain(
    "Deployment/ns-a-01/a-01: already exists and is not managed by vidra",
  );
  // Refusal is not a one-pass delay (Vidra adopted on the retry): it holds.
  requestSyncNow(env, "adopt");
  await new Promise(r => setTimeout(r, 3000));
  const d = getJson(env, ["get", "deployment", "-n", "ns-a-01", "a-01"]);
  expect(d.spec.template.spec.containers[0].image).toBe("busybox");
  expect(d.metadata.labels?.["managed-by"]).toBeUndefined();
  expect(exists(["service", "-n", "ns-a-01", "a-01"])).toBe(false);

  env.kubectl([
    "patch",
    "infrahubsync",
    "adopt",
    "--type=merge",
    "-p",
    '{"spec":{"adoption":"Adopt"}}',
  ]);
  await waitForCondition(env, `vidraresource/${ids["a-01"]}`, "Ready", "True");
  const adopted = getJson(env, ["get", "deployment", "-n", "ns-a-01", "a-01"]);
  expect(adopted.spec.template.spec.containers[0].image).toBe("nginx:1.27");
  expect(adopted.metadata.labels["managed-by"]).toBe("vidra");
});

test("an object listed by two artifacts stays until the last one drops it; no owner references for GC", async () => {
  const shared = (target: string) => `${webserverManifest(target, { namespace: "ns-shared" })}`;
  const ids = artifacts("Shared_Manifest", { "s-01": shared("s-01"), "s-02": shared("s-02") });
  sync("shared", "Shared_Manifest");
  await waitForCondition(env, "infrahubsync/shared", "Ready", "True", { timeoutMs: 90_000 });
  const ns = getJson(env, ["get", "namespace", "ns-shared"]);
  expect(ns.metadata.annotations["vidraresource.infrahub.operators.com/owned-by"]).toBe(
    [ids["s-01"], ids["s-02"]].sort().join(","),
  );
  expect(ns.metadata.ownerReferences).toBeUndefined();
  expect(
    getJson(env, ["get", "deployment", "-n", "ns-shared", "s-01"]).metadata.ownerReferences,
  ).toBeUndefined();

  env.sim.deleteArtifact("main", ids["s-01"]);
  await syncNowAndWait(env, "shared");
  await eventually(async () => !exists(["deployment", "-n", "ns-shared", "s-01"]), {
    what: "s-01 pruned",
  });
  const after = getJson(env, ["get", "namespace", "ns-shared"]);
  expect(after.status.phase).toBe("Active");
  expect(after.metadata.annotations["vidraresource.infrahub.operators.com/owned-by"]).toBe(
    ids["s-02"],
  );
  expect(exists(["deployment", "-n", "ns-shared", "s-02"])).toBe(true);
});

test("two syncs rendering one object differently: the second reports a conflict, nothing flaps", async () => {
  artifacts("First_Manifest", { "c-01": webserverManifest("c-01", { replicas: 2 }) });
  const second = artifacts("Second_Manifest", {
    "c-01": webserverManifest("c-01", { replicas: 4 }),
  });
  sync("first", "First_Manifest");
  await waitForCondition(env, "infrahubsync/first", "Ready", "True");
  sync("second", "Second_Manifest", { reapplyInterval: "2s" });
  const vr = await waitForCondition(env, `vidraresource/${second["c-01"]}`, "Ready", "False", {
    reason: "OwnershipConflict",
  });
  expect(vr.status.conflicts.join("\n")).toMatch(
    /Deployment\/ns-c-01\/c-01: VidraResource .* sets \.spec\.replicas to other values/,
  );
  const before = getJson(env, ["get", "deployment", "-n", "ns-c-01", "c-01"]);
  expect(before.spec.replicas).toBe(2);
  await new Promise(r => setTimeout(r, 6000));
  const after = getJson(env, ["get", "deployment", "-n", "ns-c-01", "c-01"]);
  expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  // The first sync's objects were not deleted by the second (Vidra matched stale objects by destination).
  expect(exists(["service", "-n", "ns-c-01", "c-01"])).toBe(true);
  const firstSync = await waitForCondition(env, "infrahubsync/first", "Ready", "True");
  expect(firstSync.status.artifactCount).toBe(1);
  const secondSync = getJson(env, ["get", "infrahubsync", "second"]);
  expect(condition(secondSync, "Ready")?.reason).toBe("VidraResourceFailed");
});

test("deletionPolicy Orphan leaves the objects, without ownership marks", async () => {
  const ids = artifacts("Orphan_Manifest", { "o-01": webserverManifest("o-01") });
  sync("orphan", "Orphan_Manifest", { deletionPolicy: "Orphan" });
  await waitForCondition(env, "infrahubsync/orphan", "Ready", "True");
  await waitForCondition(env, `vidraresource/${ids["o-01"]}`, "Ready", "True");
  env.kubectl(["delete", "infrahubsync", "orphan"]);
  await eventually(async () => !exists(["vidraresource", ids["o-01"]]), {
    what: "VidraResource gone",
    timeoutMs: 90_000,
  });
  const d = getJson(env, ["get", "deployment", "-n", "ns-o-01", "o-01"]);
  expect(d.metadata.labels?.["managed-by"]).toBeUndefined();
  expect(d.metadata.annotations?.["vidraresource.infrahub.operators.com/owned-by"]).toBeUndefined();
});

test("Infrahub failing: nothing is deleted, status says why, and it is retried with backoff", async () => {
  const ids = artifacts("Flaky_Manifest", { "f-01": webserverManifest("f-01") });
  sync("flaky", "Flaky_Manifest");
  await waitForCondition(env, "infrahubsync/flaky", "Ready", "True");
  env.sim.injectFault({ endpoint: "POST /graphql", kind: "status", status: 503 });
  env.sim.resetCounts();
  requestSyncNow(env, "flaky");
  const s = await waitForCondition(env, "infrahubsync/flaky", "Ready", "False");
  expect(s.status.syncState).toBe("Failed");
  expect(condition(s, "Ready")?.message).toMatch(/503|paused after \d+ consecutive failures/);
  expect(condition(s, "Stalled")).toBeUndefined();
  // Retried without any new event, and not hammering: the client retries with backoff, then the
  // circuit breaker stops requests to the failing address until it is due for a trial.
  await new Promise(r => setTimeout(r, 6000));
  const attempts = env.sim.requestCounts()["POST /graphql"] ?? 0;
  expect(attempts).toBeGreaterThanOrEqual(2);
  expect(attempts).toBeLessThanOrEqual(10);
  expect(condition(getJson(env, ["get", "infrahubsync", "flaky"]), "Ready")?.message).toMatch(
    /paused after \d+ consecutive failures/,
  );
  expect(exists(["vidraresource", ids["f-01"]])).toBe(true);
  expect(exists(["deployment", "-n", "ns-f-01", "f-01"])).toBe(true);
  env.sim.clearFaults();
  await waitForCondition(env, "infrahubsync/flaky", "Ready", "True", { timeoutMs: 90_000 });
});

// Infrahub 1.11.9 answers 422 "Requested time … is before branch … was created at …" (contract
// case at/before-main); the simulator now does too.
test("a targetDate before the branch existed: said plainly, nothing pruned, no hot loop", async () => {
  const ids = artifacts("Early_Manifest", { "t-01": webserverManifest("t-01") });
  sync("early", "Early_Manifest");
  await waitForCondition(env, "infrahubsync/early", "Ready", "True");
  await eventually(async () => exists(["deployment", "-n", "ns-t-01", "t-01"]), {
    what: "t-01 applied",
  });

  env.kubectl([
    "patch",
    "infrahubsync",
    "early",
    "--type=merge",
    "-p",
    JSON.stringify({ spec: { source: { targetDate: "2020-01-01T00:00:00Z" } } }),
  ]);
  const s = await waitForCondition(env, "infrahubsync/early", "Ready", "False", {
    reason: "TargetDateBeforeBranch",
  });
  const message = condition(s, "Ready")?.message ?? "";
  expect(message).toContain('The target date 2020-01-01T00:00:00.000000Z is before branch "main"');
  expect(message).not.toContain("disagree on the API");
  expect(condition(s, "Stalled")?.status).toBe("True");
  expect(exists(["vidraresource", ids["t-01"]])).toBe(true);
  expect(exists(["deployment", "-n", "ns-t-01", "t-01"])).toBe(true);
  // Retried on the poll interval (1h here), not in a loop.
  env.sim.resetCounts();
  await new Promise(r => setTimeout(r, 5000));
  expect(env.sim.requestCounts()["POST /graphql"] ?? 0).toBeLessThanOrEqual(1);
});

test("wrong credentials stall the sync with a message that names the problem and no secret", async () => {
  env.kubectl([
    "create",
    "secret",
    "generic",
    "wrong",
    "-n",
    "default",
    "--from-literal=username=admin",
    "--from-literal=password=hunter2-wrong",
  ]);
  artifacts("Creds_Manifest", { "w-01": webserverManifest("w-01") });
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("wrongcreds", {
      source: {
        infrahubAPIURL: env.sim.url,
        artefactName: "Creds_Manifest",
        discovery: "GraphQL",
        credentialsSecretRef: { name: "wrong", namespace: "default" },
      },
    }),
  );
  const s = await waitForCondition(env, "infrahubsync/wrongcreds", "Stalled", "True");
  const text = JSON.stringify(s.status);
  expect(text).toMatch(/Incorrect password/);
  expect(text).not.toContain("hunter2-wrong");
  const events = env.kubectl(["get", "events", "-A", "-o", "json"]);
  expect(events).not.toContain("hunter2-wrong");
  expect(await env.module.logTail(2000)).not.toContain("hunter2-wrong");
});

test("a Secret value the schema refuses never reaches status, Events or logs", async () => {
  const manifest = `apiVersion: v1\nkind: Secret\nmetadata: { name: leaky, namespace: default }\ndata:\n  password: { nested: "hunter2-in-a-map" }\n`;
  env.kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "infrahub.operators.com/v1alpha1",
      kind: "VidraResource",
      metadata: { name: "leaky" },
      spec: { manifest },
    }),
  );
  const vr = await waitForCondition(env, "vidraresource/leaky", "Ready", "False");
  expect(vr.status.lastError).toContain(".data.password");
  expect(vr.status.lastError).toContain("<redacted>");
  expect(JSON.stringify(vr.status)).not.toContain("hunter2-in-a-map");
  expect(env.kubectl(["get", "events", "-A", "-o", "json"])).not.toContain("hunter2-in-a-map");
  expect(await env.module.logTail(2000)).not.toContain("hunter2-in-a-map");
  env.kubectl(["delete", "vidraresource", "leaky"]);
});

test("with refuseSecrets on, artifacts and VidraResources holding Secrets are refused with a clear status", async () => {
  env.kubectl([
    "create",
    "configmap",
    "vidra-secrets-policy",
    "-n",
    "pepr-system",
    "--from-literal=refuseSecrets=true",
  ]);
  env.kubectl(["label", "configmap", "vidra-secrets-policy", "-n", "pepr-system", "app=vidra"]);
  try {
    const secret = `apiVersion: v1\nkind: Secret\nmetadata: { name: db, namespace: ns-r-01 }\nstringData: { password: s3cr3t }\n`;
    const ids = artifacts("Secret_Manifest", {
      "r-01": `${webserverManifest("r-01")}---\n${secret}`,
    });
    sync("secrets", "Secret_Manifest");
    const s = await waitForCondition(env, "infrahubsync/secrets", "Ready", "False", {
      reason: "ArtifactRejected",
    });
    expect(condition(s, "Ready")?.message).toContain("Secret/ns-r-01/db");
    expect(condition(s, "Ready")?.message).toContain("refuseSecrets");
    expect(exists(["vidraresource", ids["r-01"]])).toBe(false);

    env.kubectl(
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "infrahub.operators.com/v1alpha1",
        kind: "VidraResource",
        metadata: { name: "hand-secret" },
        spec: { manifest: secret.replace("ns-r-01", "default") },
      }),
    );
    const vr = await waitForCondition(env, "vidraresource/hand-secret", "Ready", "False", {
      reason: "SecretsRefused",
    });
    expect(condition(vr, "Stalled")?.status).toBe("True");
    expect(exists(["secret", "-n", "default", "db"])).toBe(false);
    env.kubectl(["delete", "vidraresource", "hand-secret"]);
  } finally {
    env.kubectl(["delete", "configmap", "vidra-secrets-policy", "-n", "pepr-system"]);
  }
});
