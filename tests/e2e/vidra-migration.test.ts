/**
 * Switching from Vidra: a cluster holds what Vidra left behind (a VidraResource named after the
 * artifact id, owned by the sync, with Vidra's finalizer but none of our labels or checksum, and
 * objects Vidra wrote with plain updates (field manager `manager`, its binary's name), its
 * managed-by/owned-by marks and a controller owner reference to the first VidraResource that
 * applied them). The operator takes them over without refusing adoption, deleting or recreating
 * anything, and strips those owner references, so garbage collection cannot delete an object
 * that is orphaned or that another VidraResource still lists.
 */
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import { eventually } from "../support/cluster";
import { WEBSERVER_DEFINITION, syncJson, webserverManifest } from "../support/fixtures";
import { loadAll } from "js-yaml";
import {
  createInfrahubSecret,
  getJson,
  waitForCondition,
  type Json,
} from "../support/operator-client";

let env: OperatorEnv;

const SHARED = `apiVersion: v1
kind: ConfigMap
metadata: { name: shared-settings, namespace: ns-v-01 }
data: { color: blue }
`;
const NAMESPACE = `apiVersion: v1
kind: Namespace
metadata: { name: ns-v-01 }
`;
const B_ONLY = `apiVersion: v1
kind: ConfigMap
metadata: { name: b-only, namespace: ns-v-01 }
data: { size: "3" }
`;
const exists = (args: string[]) => env.kubectlResult(["get", ...args]).code === 0;

beforeAll(async () => {
  env = await startOperatorEnv({
    name: "migration",
    sim: {
      seed: {
        definitions: [WEBSERVER_DEFINITION],
        artifacts: [
          {
            definition: WEBSERVER_DEFINITION.name,
            target: { label: "v-01" },
            content: `${webserverManifest("v-01")}---\n${SHARED}`,
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

test("Vidra's VidraResources and objects are taken over as they are", async () => {
  const artifactId = env.sim.listArtifacts("main")[0].id;
  // The sync is created suspended, so the state Vidra left can be laid out first.
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("legacy", {
      source: {
        infrahubAPIURL: env.sim.url,
        credentialsSecretRef: { name: "infrahub", namespace: "default" },
      },
      suspend: true,
      pollInterval: "1h",
    }),
  );
  const sync = getJson(env, ["get", "infrahubsync", "legacy"]);

  // Vidra's VidraResources: one per artifact, owned by the sync, and a second one (made by hand,
  // deletionPolicy Orphan) listing a ConfigMap with the first.
  const vidraResource = (name: string, manifest: string, extra: Record<string, unknown> = {}) =>
    JSON.parse(
      env.kubectl(
        ["create", "-o", "json", "-f", "-"],
        JSON.stringify({
          apiVersion: "infrahub.operators.com/v1alpha1",
          kind: "VidraResource",
          metadata: {
            name,
            finalizers: ["vidraresource.infrahub.operators.com/finalizer"],
            ...extra,
          },
          // Suspended only while the test lays out what Vidra wrote.
          spec: { destination: {}, manifest: manifest.trim(), suspend: true },
        }),
      ),
    );
  const vrA = vidraResource(artifactId, `${webserverManifest("v-01")}---\n${SHARED}`, {
    ownerReferences: [
      {
        apiVersion: "infrahub.operators.com/v1alpha1",
        kind: "InfrahubSync",
        name: "legacy",
        uid: sync.metadata.uid,
        controller: true,
      },
    ],
  });
  const vrB = vidraResource("legacy-extra", `${NAMESPACE}---\n${SHARED}---\n${B_ONLY}`);
  env.kubectl([
    "patch",
    "vidraresource",
    "legacy-extra",
    "--type=merge",
    "-p",
    '{"spec":{"deletionPolicy":"Orphan"}}',
  ]);
  const controllerRef = (vr: Json) => ({
    apiVersion: "infrahub.operators.com/v1alpha1",
    kind: "VidraResource",
    name: vr.metadata.name,
    uid: vr.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  });

  // What Vidra's controllers wrote: objects by plain create/update (manager "manager"), with its
  // marks and a controller reference to the first VidraResource that applied them.
  const vidraWrote = (doc: Json, owners: string, owner: Json) => {
    doc.metadata.labels = { ...doc.metadata.labels, "managed-by": "vidra" };
    doc.metadata.annotations = {
      "managed-by": "vidra",
      "vidraresource.infrahub.operators.com/owned-by": owners,
    };
    doc.metadata.ownerReferences = [controllerRef(owner)];
    env.kubectl(["create", "--field-manager=manager", "-f", "-"], JSON.stringify(doc));
  };
  for (const obj of loadAll(webserverManifest("v-01")) as Json[])
    vidraWrote(obj, obj.kind === "Namespace" ? `${artifactId},legacy-extra` : artifactId, vrA);
  vidraWrote(loadAll(SHARED)[0] as Json, `${artifactId},legacy-extra`, vrA);
  vidraWrote(loadAll(B_ONLY)[0] as Json, "legacy-extra", vrB);
  const before = getJson(env, ["get", "deployment", "-n", "ns-v-01", "v-01"]);
  expect(before.metadata.ownerReferences).toHaveLength(1);

  for (const name of [artifactId, "legacy-extra"])
    env.kubectl([
      "patch",
      "vidraresource",
      name,
      "--type=merge",
      "-p",
      '{"spec":{"suspend":false}}',
    ]);
  env.kubectl([
    "patch",
    "infrahubsync",
    "legacy",
    "--type=merge",
    "-p",
    '{"spec":{"suspend":false}}',
  ]);
  await waitForCondition(env, "infrahubsync/legacy", "Ready", "True", { timeoutMs: 90_000 });
  const vr = await waitForCondition(env, `vidraresource/${artifactId}`, "Ready", "True");
  await waitForCondition(env, "vidraresource/legacy-extra", "Ready", "True");
  expect(vr.metadata.labels["infrahub.operators.com/sync"]).toBe("legacy");
  expect(vr.spec.checksum).toBe(env.sim.listArtifacts("main")[0].checksum);
  expect(vr.status.managedResources).toHaveLength(5);

  const after = await eventually(
    async () => {
      const d = getJson(env, [
        "get",
        "deployment",
        "-n",
        "ns-v-01",
        "v-01",
        "--show-managed-fields",
      ]);
      return d.metadata.managedFields.some(
        (f: { manager: string }) => f.manager === `vidra-pepr/${artifactId}`,
      )
        ? d
        : undefined;
    },
    { what: "the Deployment to be owned by the VidraResource's field manager" },
  );
  // Same object (not deleted and recreated), same owners list, Vidra's fields and reference gone.
  expect(after.metadata.uid).toBe(before.metadata.uid);
  expect(after.metadata.annotations["vidraresource.infrahub.operators.com/owned-by"]).toBe(
    artifactId,
  );
  expect(after.metadata.ownerReferences).toBeUndefined();
  expect(after.metadata.managedFields.map((f: { manager: string }) => f.manager)).not.toContain(
    "manager",
  );
  const shared = getJson(env, ["get", "configmap", "-n", "ns-v-01", "shared-settings"]);
  expect(shared.metadata.ownerReferences).toBeUndefined();
  expect(shared.metadata.annotations["vidraresource.infrahub.operators.com/owned-by"]).toBe(
    [artifactId, "legacy-extra"].sort().join(","),
  );
  expect(getJson(env, ["get", "vidraresources"]).items).toHaveLength(2);

  // Deleting the first of two owners (the one Vidra's reference pointed at) keeps the shared object.
  env.kubectl(["delete", "infrahubsync", "legacy", "--wait=false"]);
  await eventually(async () => !exists(["vidraresource", artifactId]), {
    what: "the first VidraResource gone",
    timeoutMs: 90_000,
  });
  await eventually(async () => !exists(["deployment", "-n", "ns-v-01", "v-01"]), {
    what: "its own objects pruned",
  });
  // Give garbage collection time to act on any reference left behind.
  await new Promise(r => setTimeout(r, 5000));
  expect(exists(["configmap", "-n", "ns-v-01", "shared-settings"])).toBe(true);
  expect(getJson(env, ["get", "namespace", "ns-v-01"]).status.phase).toBe("Active");

  // deletionPolicy Orphan keeps the objects of the second, without marks or references.
  env.kubectl(["delete", "vidraresource", "legacy-extra", "--wait=false"]);
  await eventually(async () => !exists(["vidraresource", "legacy-extra"]), {
    what: "the second VidraResource gone",
    timeoutMs: 90_000,
  });
  await new Promise(r => setTimeout(r, 5000));
  for (const name of ["shared-settings", "b-only"]) {
    const cm = getJson(env, ["get", "configmap", "-n", "ns-v-01", name]);
    expect(cm.metadata.ownerReferences).toBeUndefined();
    expect(cm.metadata.labels?.["managed-by"]).toBeUndefined();
  }
});
