/**
 * Switching from Vidra: a cluster holds what Vidra left behind (a VidraResource named after the
 * artifact id, owned by the sync, with Vidra's finalizer but none of our labels or checksum, and
 * objects Vidra wrote with plain updates and its managed-by/owned-by marks). The operator takes
 * them over without refusing adoption, deleting or recreating anything.
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
            content: webserverManifest("v-01"),
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

  // What Vidra's controllers wrote: objects by plain create/update (manager "vidra"), with its marks...
  for (const obj of loadAll(webserverManifest("v-01")) as Json[]) {
    obj.metadata.labels = { ...obj.metadata.labels, "managed-by": "vidra" };
    obj.metadata.annotations = {
      "managed-by": "vidra",
      "vidraresource.infrahub.operators.com/owned-by": artifactId,
    };
    env.kubectl(["create", "--field-manager=vidra", "-f", "-"], JSON.stringify(obj));
  }
  const before = getJson(env, ["get", "deployment", "-n", "ns-v-01", "v-01"]);

  // ...and the VidraResource, named after the artifact, owned by the sync, with Vidra's finalizer.
  env.kubectl(
    ["create", "-f", "-"],
    JSON.stringify({
      apiVersion: "infrahub.operators.com/v1alpha1",
      kind: "VidraResource",
      metadata: {
        name: artifactId,
        finalizers: ["vidraresource.infrahub.operators.com/finalizer"],
        ownerReferences: [
          {
            apiVersion: "infrahub.operators.com/v1alpha1",
            kind: "InfrahubSync",
            name: "legacy",
            uid: sync.metadata.uid,
            controller: true,
          },
        ],
      },
      spec: { destination: {}, manifest: webserverManifest("v-01").trim() },
    }),
  );

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
  expect(vr.metadata.labels["infrahub.operators.com/sync"]).toBe("legacy");
  expect(vr.spec.checksum).toBe(env.sim.listArtifacts("main")[0].checksum);
  expect(vr.status.managedResources).toHaveLength(4);

  const after = await eventually(
    async () => {
      const d = getJson(env, ["get", "deployment", "-n", "ns-v-01", "v-01", "--show-managed-fields"]);
      return d.metadata.managedFields.some(
        (f: { manager: string }) => f.manager === `vidra-pepr/${artifactId}`,
      )
        ? d
        : undefined;
    },
    { what: "the Deployment to be owned by the VidraResource's field manager" },
  );
  // Same object (not deleted and recreated), same owners list.
  expect(after.metadata.uid).toBe(before.metadata.uid);
  expect(after.metadata.annotations["vidraresource.infrahub.operators.com/owned-by"]).toBe(
    artifactId,
  );
  expect(getJson(env, ["get", "vidraresources"]).items).toHaveLength(1);
});
