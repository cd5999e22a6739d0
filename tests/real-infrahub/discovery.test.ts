/**
 * Against a real Infrahub 1.11.9 (seeded through its own pipeline, hack/real-infrahub): Vidra's
 * sample sync (stored query ArtifactIDs, password login), GraphQL discovery on a branch with an
 * API token, and a wrong password. Nothing here changes Infrahub.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { SEED_PLAN } from "../../hack/real-infrahub/seed";
import { eventually } from "../support/cluster";
import { syncJson } from "../support/fixtures";
import { condition, getJson, waitForCondition, type Json } from "../support/operator-client";
import {
  deleteAllSyncs,
  deleteSync,
  deployment,
  startRealEnv,
  vidraResourcesOf,
  type RealEnv,
  SLOW,
} from "./support/real-env";

let env: RealEnv;

beforeAll(async () => {
  env = await startRealEnv("ri-discovery");
}, 30 * 60_000);

// Each test deletes its sync; one that failed half-way must not leave it to the next.
afterEach(async () => {
  if (env) await deleteAllSyncs(env);
});

afterAll(async () => {
  await env?.stop();
});

function artifactRows(status: Json): string[][] {
  return status.artifacts.map((a: Json) => [a.id, a.target, a.checksum]);
}

test("Vidra's sample InfrahubSync (stored query ArtifactIDs, username and password) applies every artifact", async () => {
  const sample = load(
    readFileSync(join(__dirname, "..", "..", "deploy", "examples", "infrahubsync.yaml"), "utf8"),
  ) as Json;
  sample.spec.source.infrahubAPIURL = env.ih.info.url;
  const secretRef = sample.spec.source.credentialsSecretRef;
  env.kubectl([
    "create",
    "secret",
    "generic",
    secretRef.name,
    "-n",
    secretRef.namespace,
    `--from-literal=username=${env.ih.info.username}`,
    `--from-literal=password=${env.ih.info.password}`,
  ]);
  env.kubectl(["apply", "-f", "-"], JSON.stringify(sample));
  const sync = await waitForCondition(env, "infrahubsync/webserver", "Ready", "True", {
    timeoutMs: SLOW,
  });
  const inInfrahub = await env.ih.admin.artifacts("main");
  expect(sync.status.artifactCount).toBe(SEED_PLAN.targets.length);
  expect(artifactRows(sync.status)).toEqual(inInfrahub.map(a => [a.id, a.target, a.checksum]));

  for (const t of SEED_PLAN.targets) {
    const d = await eventually(async () => deployment(env, `ns-${t.name}`, t.name), {
      what: `deployment ${t.name}`,
      timeoutMs: SLOW,
    });
    expect(d.spec.replicas).toBe(t.replicas);
    expect(d.spec.template.spec.containers[0].image).toBe(t.image);
    expect(env.kubectlResult(["get", "service", "-n", `ns-${t.name}`, t.name]).code).toBe(0);
    expect(env.kubectlResult(["get", "ingress", "-n", `ns-${t.name}`, t.name]).code).toBe(0);
  }
  const vrs = vidraResourcesOf(env, "webserver");
  expect(vrs.map(v => v.metadata.name).sort()).toEqual(inInfrahub.map(a => a.id).sort());
  for (const v of vrs)
    await waitForCondition(env, `vidraresource/${v.metadata.name}`, "Ready", "True");

  await deleteSync(env, "webserver");
  await eventually(async () => deployment(env, "ns-web-01", "web-01") === undefined, {
    what: "objects removed with the sync",
    timeoutMs: SLOW,
  });
});

test("GraphQL discovery on a branch with an API token applies that branch's content", async () => {
  env.kubectl([
    "create",
    "secret",
    "generic",
    "infrahub-token",
    "-n",
    "default",
    `--from-literal=token=${env.ih.info.token}`,
  ]);
  const branch = SEED_PLAN.branch;
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("scale", {
      source: {
        infrahubAPIURL: env.ih.info.url,
        targetBranch: branch.name,
        discovery: "GraphQL",
        credentialsSecretRef: { name: "infrahub-token", namespace: "default" },
      },
      pollInterval: "1h",
    }),
  );
  const sync = await waitForCondition(env, "infrahubsync/scale", "Ready", "True", {
    timeoutMs: SLOW,
  });
  const inInfrahub = await env.ih.admin.artifacts(branch.name);
  expect(artifactRows(sync.status)).toEqual(inInfrahub.map(a => [a.id, a.target, a.checksum]));
  // The branch's web-02 differs from main's; the others are main's.
  const main = await env.ih.admin.artifacts("main");
  expect(inInfrahub.find(a => a.target === branch.target)!.checksum).not.toBe(
    main.find(a => a.target === branch.target)!.checksum,
  );
  const d = await eventually(async () => deployment(env, `ns-${branch.target}`, branch.target), {
    what: `deployment ${branch.target}`,
    timeoutMs: SLOW,
  });
  expect(d.spec.replicas).toBe(branch.replicas);
  expect(d.spec.template.spec.containers[0].image).toBe(branch.image);
  const web01 = await eventually(async () => deployment(env, "ns-web-01", "web-01"), {
    what: "deployment web-01",
    timeoutMs: SLOW,
  });
  expect(web01.spec.replicas).toBe(SEED_PLAN.targets[0].replicas);

  await deleteSync(env, "scale");
});

test("a wrong password gives a clear status without the password, and applies nothing", async () => {
  const wrong = "not-the-password-0f3c";
  env.kubectl([
    "create",
    "secret",
    "generic",
    "infrahub-wrong",
    "-n",
    "default",
    `--from-literal=username=${env.ih.info.username}`,
    `--from-literal=password=${wrong}`,
  ]);
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("wrong", {
      source: {
        infrahubAPIURL: env.ih.info.url,
        credentialsSecretRef: { name: "infrahub-wrong", namespace: "default" },
      },
      pollInterval: "1h",
    }),
  );
  const sync = await waitForCondition(env, "infrahubsync/wrong", "Ready", "False", {
    timeoutMs: SLOW,
    reason: "AuthenticationFailed",
  });
  const ready = condition(sync, "Ready")!;
  expect(ready.message).toMatch(/username and password/);
  expect(JSON.stringify(sync)).not.toContain(wrong);
  const events = env.kubectl(["get", "events", "-A", "-o", "json"]);
  expect(events).not.toContain(wrong);
  expect(vidraResourcesOf(env, "wrong")).toHaveLength(0);
  expect(getJson(env, ["get", "infrahubsync", "wrong"]).status.artifactCount ?? 0).toBe(0);
  env.kubectl(["delete", "infrahubsync", "wrong"]);
});
