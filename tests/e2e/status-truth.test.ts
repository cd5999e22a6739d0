/**
 * Status tells the truth, in words a person can act on: the state column never contradicts Ready,
 * a missing CRD is reported as such and retried soon, the API server's refusals are invalid input
 * (not endless retries) and read without request lines, rejected artifacts are named by their
 * target and are not downloaded again until they change, and an empty manifest is refused however
 * it got in.
 */
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import { eventually } from "../support/cluster";
import { syncJson, simArtifacts } from "../support/fixtures";
import {
  condition,
  createInfrahubSecret,
  getJson,
  waitForCondition,
  type Json,
} from "../support/operator-client";

let env: OperatorEnv;

beforeAll(async () => {
  env = await startOperatorEnv({
    name: "status",
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
  const { discovery, ...rest } = extra;
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson(name, {
      source: {
        infrahubAPIURL: env.sim.url,
        artefactName,
        discovery: discovery ?? "GraphQL",
        ...creds,
      },
      pollInterval: "1h",
      ...rest,
    }),
  );
}

function vidraResource(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: "infrahub.operators.com/v1alpha1",
    kind: "VidraResource",
    metadata: { name },
    spec,
  });
}

function eventsFor(name: string): Json[] {
  return JSON.parse(
    env.kubectl([
      "get",
      "events",
      "-n",
      "default",
      "--field-selector",
      `involvedObject.name=${name}`,
      "-o",
      "json",
    ]),
  ).items;
}

/** A status message as the issue asks for it: one line, no HTTP request line, no stack. */
function expectReadable(message: string): void {
  expect(message).not.toMatch(/\n/);
  expect(message).not.toMatch(/\b(GET|PATCH|POST|PUT|DELETE) \/(api|apis)\//);
  expect(message).not.toMatch(/\bat \S+ \(.*:\d+:\d+\)/);
}

const configMap = (name: string, namespace = "default") =>
  `---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}, namespace: ${namespace} }\ndata: { a: "1" }\n`;

test("State follows Ready: an object the API server refuses makes the sync Failed, not Succeeded", async () => {
  const pod = `---\napiVersion: v1\nkind: Pod\nmetadata: { name: refused, namespace: default }\nspec: { containers: [] }\n`;
  artifacts("Refused_Manifest", { "p-01": `${configMap("p-01")}${pod}` });
  sync("refused", "Refused_Manifest");
  const s = await waitForCondition(env, "infrahubsync/refused", "Ready", "False", {
    reason: "VidraResourceFailed",
    timeoutMs: 90_000,
  });
  expect(s.status.syncState).toBe("Failed");
  expect(s.status.lastError).toContain("Pod/default/refused");
  const row = env.kubectl(["get", "ihs", "refused", "--no-headers"]).trim().split(/\s+/);
  // NAME BRANCH ARTIFACT STATE READY ...
  expect(row.slice(3, 5)).toEqual(["Failed", "False"]);
});

test("a kind whose CRD is missing is UnknownKind, retried soon with the next try shown, and applies once the CRD exists", async () => {
  const widget = `apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w1, namespace: default }\nspec: { size: 3 }\n`;
  env.kubectl(["apply", "-f", "-"], vidraResource("widgets", { manifest: widget }));
  const vr = await waitForCondition(env, "vidraresource/widgets", "Ready", "False", {
    reason: "UnknownKind",
  });
  const message = condition(vr, "Ready")!.message;
  expect(message).toMatch(
    /^1 object\(s\) cannot be applied, so none were: Widget\/default\/w1: the cluster serves no kind Widget in example\.com\/v1: install its CustomResourceDefinition/,
  );
  expectReadable(message);
  // Not stalled: a missing CRD is expected to appear; the next try is in status.
  expect(condition(vr, "Stalled")).toBeUndefined();
  const next = Date.parse(vr.status.nextReapplyTime);
  expect(next).toBeGreaterThan(Date.now() - 5_000);
  expect(next).toBeLessThanOrEqual(Date.now() + 61_000);

  env.kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "widgets.example.com" },
      spec: {
        group: "example.com",
        scope: "Namespaced",
        names: { plural: "widgets", singular: "widget", kind: "Widget" },
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
            },
          },
        ],
      },
    }),
  );
  // The default re-apply interval is 10 minutes: this only passes through the short retry.
  await waitForCondition(env, "vidraresource/widgets", "Ready", "True", { timeoutMs: 120_000 });
  expect(getJson(env, ["get", "widgets.example.com", "-n", "default", "w1"]).spec.size).toBe(3);
  env.kubectl(["delete", "vidraresource", "widgets"]);
}, 240_000);

test("a Secret with invalid base64 is invalid input, stalled, and the message carries no request line", async () => {
  const secret = `apiVersion: v1\nkind: Secret\nmetadata: { name: b64, namespace: default }\ndata: { key: "not base64!" }\n`;
  env.kubectl(["apply", "-f", "-"], vidraResource("bad-base64", { manifest: secret }));
  const vr = await waitForCondition(env, "vidraresource/bad-base64", "Ready", "False", {
    reason: "InvalidObjects",
  });
  expect(condition(vr, "Stalled")?.status).toBe("True");
  const message = condition(vr, "Ready")!.message;
  expect(message).toMatch(/^1 object\(s\) cannot be applied, so none were: Secret\/default\/b64: /);
  expect(message).toContain("illegal base64 data");
  expectReadable(message);
  expect(message).not.toContain("https://");
  env.kubectl(["delete", "vidraresource", "bad-base64"]);
});

test("an artifact the VidraResource admission would refuse: the status says why first, named by target, without the request", async () => {
  const ids = artifacts("Badname_Manifest", { "n-01": configMap("Bad_Name") });
  sync("badname", "Badname_Manifest", { discovery: "StoredQuery" });
  const s = await waitForCondition(env, "infrahubsync/badname", "Ready", "False", {
    reason: "ArtifactRejected",
  });
  const message = condition(s, "Ready")!.message;
  expect(message).toMatch(
    new RegExp(
      `^artifact ${ids["n-01"]} \\(n-01\\): document 1, ConfigMap/Bad_Name: metadata\\.name "Bad_Name" is not a valid DNS-1123 subdomain`,
    ),
  );
  expect(message).not.toContain("(?)");
  expect(message).not.toContain("admission webhook");
  expectReadable(message);
  expect(s.status.syncState).toBe("Failed");
});

test("a rejected artifact is not downloaded again, nor its Event rewritten, until its checksum changes", async () => {
  const ids = artifacts("Rejected_Manifest", {
    "r-01": `${configMap("r-01")}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  name: y\n`,
  });
  sync("rejected", "Rejected_Manifest", { pollInterval: "2s" });
  await waitForCondition(env, "infrahubsync/rejected", "Ready", "False", {
    reason: "ArtifactRejected",
  });
  const warnings = () => eventsFor("rejected").filter(e => e.reason === "ArtifactRejected");
  await eventually(async () => warnings().length === 1, { what: "the ArtifactRejected Event" });
  const first = warnings()[0];
  env.sim.resetCounts();
  // Five polls later (each one a GraphQL lookup)...
  await eventually(async () => (env.sim.requestCounts()["POST /graphql"] ?? 0) >= 5, {
    timeoutMs: 60_000,
    what: "five polls",
  });
  const counts = env.sim.requestCounts();
  expect(counts["GET /api/artifact"] ?? 0).toBe(0);
  expect(counts["GET /api/storage/object"] ?? 0).toBe(0);
  const after = warnings();
  expect(after).toHaveLength(1);
  expect(after[0].count).toBe(first.count);
  expect(after[0].lastTimestamp).toBe(first.lastTimestamp);

  // A new version is downloaded and applied.
  env.sim.setArtifactContent("main", ids["r-01"], configMap("r-01"));
  await waitForCondition(env, "infrahubsync/rejected", "Ready", "True", { timeoutMs: 60_000 });
  env.kubectl(["delete", "infrahubsync", "rejected"]);
});

describe("an empty manifest stored while the webhook was down", () => {
  let hooks: Json[] = [];

  beforeAll(() => {
    hooks = JSON.parse(
      env.kubectl(["get", "validatingwebhookconfigurations", "-o", "json"]),
    ).items.filter((h: Json) => h.metadata.name.includes("vidra-pepr"));
    expect(hooks.length).toBeGreaterThan(0);
  });

  afterAll(() => {
    for (const h of hooks) {
      const {
        resourceVersion: _r,
        uid: _u,
        creationTimestamp: _c,
        managedFields: _m,
        ...meta
      } = h.metadata;
      env.kubectlResult(["apply", "-f", "-"], JSON.stringify({ ...h, metadata: meta }));
    }
  });

  test("is refused as EmptyManifest, whether or not anything was applied before; what was applied stays", async () => {
    env.kubectl(["apply", "-f", "-"], vidraResource("emptied", { manifest: configMap("kept") }));
    await waitForCondition(env, "vidraresource/emptied", "Ready", "True");
    for (const h of hooks)
      env.kubectl(["delete", "validatingwebhookconfiguration", h.metadata.name]);
    // The API server drops the webhook a moment after the configuration goes.
    await eventually(
      async () =>
        env.kubectlResult(["apply", "-f", "-"], vidraResource("fresh-empty", { manifest: "" }))
          .code === 0,
      { what: "an empty VidraResource to be admitted" },
    );
    env.kubectl([
      "patch",
      "vidraresource",
      "emptied",
      "--type=merge",
      "-p",
      '{"spec":{"manifest":""}}',
    ]);

    const fresh = await waitForCondition(env, "vidraresource/fresh-empty", "Ready", "False", {
      reason: "EmptyManifest",
    });
    expect(fresh.status.DeployState).toBe("Failed");
    expectReadable(condition(fresh, "Ready")!.message);
    expect(condition(fresh, "Ready")!.message).toMatch(/^the manifest has no objects/);

    const emptied = await waitForCondition(env, "vidraresource/emptied", "Ready", "False", {
      reason: "EmptyManifest",
    });
    expect(emptied.status.managedCount).toBe(1);
    expect(getJson(env, ["get", "configmap", "-n", "default", "kept"]).data.a).toBe("1");
  });
});
