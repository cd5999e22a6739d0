/**
 * An InfrahubSync over its life: artifacts created, changed, renamed, removed and re-added;
 * checksum skipping (no download, no write when nothing changed); branch and date selection.
 */
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import { eventually } from "../support/cluster";
import { WEBSERVER_DEFINITION, syncJson, webserverManifest } from "../support/fixtures";
import {
  apiWrites,
  getJson,
  waitForCondition,
  type Json,
  syncNowAndWait,
  createInfrahubSecret,
} from "../support/operator-client";

let env: OperatorEnv;
let web1: string;
let web2: string;

beforeAll(async () => {
  env = await startOperatorEnv({
    name: "lifecycle",
    sim: {
      seed: {
        users: [{ username: "admin", password: "infrahub" }],
        definitions: [WEBSERVER_DEFINITION],
        artifacts: [
          {
            definition: WEBSERVER_DEFINITION.name,
            target: { label: "web-01" },
            content: webserverManifest("web-01"),
          },
          {
            definition: WEBSERVER_DEFINITION.name,
            target: { label: "web-02" },
            content: webserverManifest("web-02"),
          },
        ],
      },
    },
  });
  [web1, web2] = ["web-01", "web-02"].map(
    label => env.sim.listArtifacts("main").find(a => a.targetLabel === label)!.id,
  );
  createInfrahubSecret(env);
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

const creds = { credentialsSecretRef: { name: "infrahub", namespace: "default" } };

function deployment(ns: string, name: string): Json | undefined {
  const r = env.kubectlResult(["get", "deployment", "-n", ns, name, "-o", "json"]);
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
}

test("creates one VidraResource per artifact, named after the artifact id, and applies its objects", async () => {
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("web", { source: { infrahubAPIURL: env.sim.url, ...creds }, pollInterval: "1h" }),
  );
  const sync = await waitForCondition(env, "infrahubsync/web", "Ready", "True");
  expect(sync.status.syncState).toBe("Succeeded");
  expect(sync.status.artifactCount).toBe(2);
  expect(sync.status.checksums).toHaveLength(2);
  // Vidra's stored query selects ids, checksums and names only; the targets are looked up by id for
  // the artifacts that are downloaded, and kept on their VidraResources.
  expect(sync.status.artifacts.map((a: Json) => [a.id, a.target])).toEqual([
    [web1, "web-01"],
    [web2, "web-02"],
  ]);

  const vr = getJson(env, ["get", "vidraresource", web1]);
  expect(vr.metadata.ownerReferences[0]).toMatchObject({
    kind: "InfrahubSync",
    name: "web",
    controller: true,
  });
  expect(vr.metadata.finalizers).toContain("vidraresource.infrahub.operators.com/finalizer");
  expect(vr.metadata.labels["infrahub.operators.com/sync"]).toBe("web");
  await waitForCondition(env, `vidraresource/${web1}`, "Ready", "True");
  const d = await eventually(async () => deployment("ns-web-01", "web-01"), {
    what: "deployment web-01",
  });
  expect(d.metadata.labels["managed-by"]).toBe("vidra");
  expect(d.metadata.annotations["vidraresource.infrahub.operators.com/owned-by"]).toBe(web1);
  const vrAfter = getJson(env, ["get", "vidraresource", web1]);
  expect(vrAfter.status.DeployState).toBe("Succeeded");
  expect(vrAfter.status.managedResources).toHaveLength(4);

  const printed = env.kubectl(["get", "infrahubsyncs,vidraresources"]);
  expect(printed).toMatch(/web\s+main\s+Webserver_Manifest\s+Succeeded\s+True\s+2/);
  expect(printed).toMatch(new RegExp(`${web1}\\s+Succeeded\\s+True\\s+4\\s+web\\s+web-01`));
});

test("polls that find nothing new download nothing and write nothing", async () => {
  env.kubectl([
    "patch",
    "infrahubsync",
    "web",
    "--type=merge",
    "-p",
    JSON.stringify({ spec: { pollInterval: "2s" } }),
  ]);
  await waitForCondition(env, `vidraresource/${web2}`, "Ready", "True");
  await waitForCondition(env, "infrahubsync/web", "Ready", "True");
  await new Promise(r => setTimeout(r, 2500));
  env.sim.resetCounts();
  const writesBefore = await apiWrites(env);
  await new Promise(r => setTimeout(r, 7000));
  const counts = env.sim.requestCounts();
  const polls = (counts["POST /graphql"] ?? 0) + (counts["POST /api/query"] ?? 0);
  expect(polls).toBeGreaterThanOrEqual(2);
  expect(polls).toBeLessThanOrEqual(5);
  expect(counts["GET /api/storage/object"] ?? 0).toBe(0);
  expect(counts["GET /api/artifact"] ?? 0).toBe(0);
  expect(counts["POST /api/auth/login"] ?? 0).toBe(0);
  expect((await apiWrites(env)) - writesBefore).toBe(0);
  env.kubectl([
    "patch",
    "infrahubsync",
    "web",
    "--type=merge",
    "-p",
    JSON.stringify({ spec: { pollInterval: "1h" } }),
  ]);
});

test("a changed artifact is downloaded once and its objects updated", async () => {
  env.sim.resetCounts();
  env.sim.setArtifactContent("main", web1, webserverManifest("web-01", { replicas: 3 }));
  await syncNowAndWait(env, "web");
  await eventually(async () => deployment("ns-web-01", "web-01")?.spec.replicas === 3, {
    what: "replicas 3",
  });
  const counts = env.sim.requestCounts();
  expect((counts["GET /api/storage/object"] ?? 0) + (counts["GET /api/artifact"] ?? 0)).toBe(1);
  const sync = await waitForCondition(env, "infrahubsync/web", "Ready", "True");
  expect(sync.status.artifacts.find((a: Json) => a.id === web1).checksum).toBe(
    env.sim.listArtifacts("main").find(a => a.id === web1)!.checksum,
  );
});

test("renaming an object inside an artifact prunes the old one", async () => {
  const renamed = webserverManifest("web-01", { replicas: 3 }).replace(
    /name: web-01\n/g,
    "name: web-01-v2\n",
  );
  env.sim.setArtifactContent("main", web1, renamed);
  await syncNowAndWait(env, "web");
  await eventually(async () => deployment("ns-web-01", "web-01-v2"), {
    what: "renamed deployment",
  });
  await eventually(async () => deployment("ns-web-01", "web-01") === undefined, {
    what: "old deployment pruned",
  });
  const vr = await waitForCondition(env, `vidraresource/${web1}`, "Ready", "True");
  expect(vr.status.managedResources.map((m: Json) => m.name)).toContain("web-01-v2");
  expect(vr.status.managedResources.map((m: Json) => m.name)).not.toContain("web-01");
});

test("an artifact removed in Infrahub removes its VidraResource and objects; re-adding brings them back", async () => {
  env.sim.deleteArtifact("main", web2);
  await syncNowAndWait(env, "web");
  await eventually(async () => env.kubectlResult(["get", "vidraresource", web2]).code !== 0, {
    what: "VidraResource web-02 deleted",
  });
  await eventually(
    async () =>
      env.kubectlResult(["get", "namespace", "ns-web-02", "-o", "json"]).code !== 0 ||
      JSON.parse(env.kubectl(["get", "namespace", "ns-web-02", "-o", "json"])).status.phase ===
        "Terminating",
    {
      what: "namespace ns-web-02 deleted",
    },
  );
  expect(deployment("ns-web-01", "web-01-v2")).toBeDefined();
  let sync = await waitForCondition(env, "infrahubsync/web", "Ready", "True");
  expect(sync.status.artifactCount).toBe(1);

  const again = env.sim.upsertArtifact("main", {
    definition: WEBSERVER_DEFINITION.name,
    target: { label: "web-03" },
    content: webserverManifest("web-03"),
  });
  await syncNowAndWait(env, "web");
  await eventually(async () => deployment("ns-web-03", "web-03"), { what: "web-03 applied" });
  sync = await waitForCondition(env, "infrahubsync/web", "Ready", "True");
  expect(sync.status.artifacts.map((a: Json) => a.id)).toContain(again.id);
});

test("branch and date select what is applied", async () => {
  env.sim.createBranch("feature-x", "main");
  const branchWeb1 = env.sim.listArtifacts("feature-x").find(a => a.targetLabel === "web-01")!;
  env.sim.setArtifactContent(
    "feature-x",
    branchWeb1.id,
    webserverManifest("web-01", { replicas: 5, namespace: "ns-branch" }),
  );
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("branch", {
      source: {
        infrahubAPIURL: env.sim.url,
        targetBranch: "feature-x",
        discovery: "GraphQL",
        ...creds,
      },
      pollInterval: "1h",
    }),
  );
  const branchSync = await waitForCondition(env, "infrahubsync/branch", "Ready", "True");
  expect(branchSync.status.artifacts.map((a: Json) => a.target)).toEqual(["web-01", "web-03"]);
  // Same artifact id on two branches: the second sync gets its own VidraResource name.
  const vrs = getJson(env, [
    "get",
    "vidraresources",
    "-l",
    "infrahub.operators.com/sync=branch",
  ]).items;
  expect(vrs.length).toBe(2);
  expect(vrs.map((v: Json) => v.metadata.name)).toContainEqual(
    expect.stringMatching(new RegExp(`^${branchWeb1.id}-[0-9a-f]{8}$`)),
  );
  await eventually(async () => deployment("ns-branch", "web-01")?.spec.replicas === 5, {
    what: "branch content applied",
  });

  // Date: an absolute time before the branch change sees the main content copied at branch time.
  const past = new Date(Date.now() - 1000).toISOString();
  env.sim.setArtifactContent(
    "feature-x",
    branchWeb1.id,
    webserverManifest("web-01", { replicas: 9, namespace: "ns-dated" }),
  );
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("dated", {
      source: {
        infrahubAPIURL: env.sim.url,
        targetBranch: "feature-x",
        targetDate: past,
        discovery: "GraphQL",
        ...creds,
      },
      pollInterval: "1h",
      destination: { namespace: "dated" },
    }),
  );
  await waitForCondition(env, "infrahubsync/dated", "Ready", "True");
  await eventually(async () => deployment("ns-branch", "web-01")?.spec.replicas === 5, {
    what: "dated sync applies the older content",
  });
  expect(deployment("ns-dated", "web-01")).toBeUndefined();
});

test("deleting the sync deletes its VidraResources and their objects", async () => {
  env.kubectl(["delete", "infrahubsync", "dated", "branch", "--wait=false"]);
  env.kubectl(["delete", "infrahubsync", "web"]);
  await eventually(async () => getJson(env, ["get", "vidraresources"]).items.length === 0, {
    what: "all VidraResources gone",
    timeoutMs: 90_000,
  });
  await eventually(async () => deployment("ns-web-01", "web-01-v2") === undefined, {
    what: "objects cleaned up",
  });
});
