/**
 * Tenancy: a sync applies as its ServiceAccount (impersonated), so Kubernetes RBAC decides what it
 * may touch; fences from the operator's ConfigMap (and a resource's own spec.fence, which only
 * narrows) refuse objects outside them, at admission when the manifest is known and always before
 * applying; Adopt never takes over objects in kube-system; the app=vidra ConfigMap counts only in
 * the operator's namespace (unless switched back to Vidra's lookup); cross-namespace Secret
 * references can be switched off.
 */
import { startModule, type RunningModule } from "../../hack/module-runner";
import { eventually } from "../support/cluster";
import { syncJson } from "../support/fixtures";
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import {
  condition,
  createInfrahubSecret,
  getJson,
  waitForCondition,
  type Json,
} from "../support/operator-client";

let env: OperatorEnv;
let restarted: RunningModule | undefined;

beforeAll(async () => {
  env = await startOperatorEnv({
    name: "tenancy",
    sim: { seed: { users: [{ username: "admin", password: "infrahub" }] } },
  });
  createInfrahubSecret(env);
}, 240_000);

afterAll(async () => {
  await restarted?.stop();
  await env?.stop();
});

const creds = { credentialsSecretRef: { name: "infrahub", namespace: "default" } };
const runningModule = (): RunningModule => restarted ?? env.module;

const apply = (obj: unknown) => env.kubectl(["apply", "-f", "-"], JSON.stringify(obj));

const configMap = (name: string, namespace: string, data: Record<string, string> = { k: "v" }) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace },
  data,
});

const yamlOf = (...objects: unknown[]) => objects.map(o => JSON.stringify(o)).join("\n---\n");

/** A namespace with a ServiceAccount `applier`; with `grant`, a Role letting it manage ConfigMaps there. */
function team(ns: string, grant: boolean): void {
  if (env.kubectlResult(["get", "namespace", ns]).code !== 0)
    env.kubectl(["create", "namespace", ns]);
  apply({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "applier", namespace: ns } });
  if (!grant) return;
  apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "applier", namespace: ns },
    rules: [
      {
        apiGroups: [""],
        resources: ["configmaps"],
        verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
      },
    ],
  });
  apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "applier", namespace: ns },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "applier" },
    subjects: [{ kind: "ServiceAccount", name: "applier", namespace: ns }],
  });
}

/** An artifact of its own definition; returns its id (the name of the sync's VidraResource). */
function artifact(artifactName: string, target: string, content: string): string {
  env.sim.upsertDefinition({ name: `${artifactName}_Definition`, artifactName });
  return env.sim.upsertArtifact("main", {
    definition: `${artifactName}_Definition`,
    target: { label: target },
    content,
  }).id;
}

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

function vidraResource(name: string, manifest: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: "infrahub.operators.com/v1alpha1",
    kind: "VidraResource",
    metadata: { name },
    spec: { manifest, reapplyInterval: "1h", ...spec },
  };
}

/** The operator's ConfigMap in its namespace (pepr-system); undefined deletes it. */
function setOperatorConfig(data: Record<string, string> | undefined): void {
  if (!data) {
    env.kubectl(["delete", "configmap", "vidra-config", "-n", "pepr-system", "--ignore-not-found"]);
    return;
  }
  env.kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "vidra-config", namespace: "pepr-system", labels: { app: "vidra" } },
      data,
    }),
  );
}

const exists = (args: string[]) => env.kubectlResult(["get", ...args]).code === 0;
const readyMessage = (obj: Json): string => condition(obj, "Ready")?.message ?? "";

test("a ServiceAccount without rights is refused by RBAC, named in the status; once granted, the same sync applies as it", async () => {
  team("team-a", false);
  const id = artifact("Tenancy_A", "a-01", yamlOf(configMap("a-config", "team-a")));
  sync("team-a", "Tenancy_A", {
    serviceAccountName: "applier",
    destination: { namespace: "team-a" },
    reapplyInterval: "2s",
  });
  const vr = await waitForCondition(env, `vidraresource/${id}`, "Ready", "False", {
    reason: "Forbidden",
  });
  expect(vr.spec.serviceAccountName).toBe("applier");
  expect(readyMessage(vr)).toContain("a-config");
  expect(readyMessage(vr)).toContain("system:serviceaccount:team-a:applier");
  await waitForCondition(env, "infrahubsync/team-a", "Ready", "False");
  expect(exists(["configmap", "-n", "team-a", "a-config"])).toBe(false);

  team("team-a", true);
  const ok = await waitForCondition(env, `vidraresource/${id}`, "Ready", "True");
  expect(readyMessage(ok)).toBe(
    "1 object(s) applied to this cluster as ServiceAccount team-a/applier",
  );
  const cm = getJson(env, [
    "get",
    "configmap",
    "-n",
    "team-a",
    "a-config",
    "--show-managed-fields",
  ]);
  expect(cm.metadata.labels["managed-by"]).toBe("vidra");
  // The write was made as the ServiceAccount, with the VidraResource's own field manager.
  expect(cm.metadata.managedFields.map((m: Json) => m.manager)).toContain(`vidra-pepr/${id}`);
});

test("two teams fenced from each other: team-a's sync cannot write into team-b, by RBAC and by its fence", async () => {
  team("team-b", true);
  const idB = artifact("Tenancy_B", "b-01", yamlOf(configMap("b-config", "team-b")));
  sync("team-b", "Tenancy_B", {
    serviceAccountName: "applier",
    destination: { namespace: "team-b" },
    reapplyInterval: "2s",
  });
  await waitForCondition(env, `vidraresource/${idB}`, "Ready", "True");
  expect(exists(["configmap", "-n", "team-b", "b-config"])).toBe(true);

  // RBAC: team-a's artifact now reaches into team-b; the whole bundle is refused.
  const idA = artifact(
    "Tenancy_A",
    "a-01",
    yamlOf(
      configMap("a-config", "team-a", { k: "changed" }),
      configMap("b-config", "team-b", { k: "taken" }),
    ),
  );
  env.kubectl([
    "annotate",
    "--overwrite",
    "infrahubsync",
    "team-a",
    `infrahub.operators.com/sync-now=${Date.now()}`,
  ]);
  const refused = await waitForCondition(env, `vidraresource/${idA}`, "Ready", "False", {
    reason: "Forbidden",
  });
  expect(readyMessage(refused)).toMatch(
    /ConfigMap\/team-b\/b-config: configmaps "b-config" is forbidden/,
  );
  expect(readyMessage(refused)).toContain('"system:serviceaccount:team-a:applier" cannot');
  expect(getJson(env, ["get", "configmap", "-n", "team-b", "b-config"]).data).toEqual({ k: "v" });
  expect(getJson(env, ["get", "configmap", "-n", "team-a", "a-config"]).data).toEqual({ k: "v" });

  // The sync's own fence: the VidraResource carrying team-b's object is refused at admission,
  // so the sync reports the artifact and keeps the previous version.
  sync("team-a", "Tenancy_A", {
    serviceAccountName: "applier",
    destination: { namespace: "team-a" },
    reapplyInterval: "2s",
    fence: { allowedNamespaces: ["team-a"] },
  });
  const s = await waitForCondition(env, "infrahubsync/team-a", "Ready", "False", {
    reason: "ArtifactRejected",
  });
  expect(readyMessage(s)).toContain(
    'ConfigMap/b-config: namespace "team-b" is outside spec.fence (allowed: "team-a")',
  );
  expect(getJson(env, ["get", "configmap", "-n", "team-b", "b-config"]).data).toEqual({ k: "v" });

  // Pruning is impersonated too: without its RoleBinding, team-b's ServiceAccount cannot clean up,
  // and the objects stay until it can.
  env.kubectl(["delete", "rolebinding", "applier", "-n", "team-b"]);
  await eventually(
    async () =>
      env.kubectlResult([
        "auth",
        "can-i",
        "get",
        "configmaps",
        "-n",
        "team-b",
        "--as",
        "system:serviceaccount:team-b:applier",
      ]).code !== 0,
    { what: "the API server to see the RoleBinding gone" },
  );
  env.kubectl(["delete", "infrahubsync", "team-b", "--wait=false"]);
  await eventually(
    async () =>
      /"system:serviceaccount:team-b:applier" cannot/.test(
        getJson(env, ["get", "vidraresource", idB]).status?.lastError ?? "",
      ),
    { what: "team-b's cleanup refused as its ServiceAccount" },
  );
  expect(exists(["configmap", "-n", "team-b", "b-config"])).toBe(true);
  team("team-b", true);
  await eventually(async () => !exists(["vidraresource", idB]), {
    what: "team-b's cleanup to finish once granted",
    timeoutMs: 90_000,
  });
  expect(exists(["configmap", "-n", "team-b", "b-config"])).toBe(false);
  env.kubectl(["delete", "infrahubsync", "team-a", "--wait=true"]);
});

test("the operator's fence refuses cluster-scoped objects, naming them; lifting it applies them", async () => {
  setOperatorConfig({ allowClusterScoped: "false" });
  await eventually(
    async () => /"allowClusterScoped":false/.test(await runningModule().logTail(200)),
    {
      what: "the new configuration to be read",
    },
  );
  apply(
    vidraResource(
      "cluster-scoped",
      yamlOf(
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "fenced-ns" } },
        configMap("beside-the-namespace", "default"),
      ),
    ),
  );
  const vr = await waitForCondition(env, "vidraresource/cluster-scoped", "Ready", "False", {
    reason: "FenceViolation",
  });
  expect(readyMessage(vr)).toBe(
    "document 1, Namespace/fenced-ns: is cluster-scoped, and the operator's fence allows no cluster-scoped objects",
  );
  expect(exists(["namespace", "fenced-ns"])).toBe(false);
  expect(exists(["configmap", "-n", "default", "beside-the-namespace"])).toBe(false);

  // A fence change reconciles every resource again.
  setOperatorConfig(undefined);
  await waitForCondition(env, "vidraresource/cluster-scoped", "Ready", "True");
  expect(exists(["namespace", "fenced-ns"])).toBe(true);
  env.kubectl(["delete", "vidraresource", "cluster-scoped", "--wait=true"]);
});

test("denied kinds: a resource's own fence at admission, the operator's at apply time", async () => {
  const withSecret = yamlOf(configMap("with-secret", "default"), {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "denied-secret", namespace: "default" },
    stringData: { password: "x" },
  });
  const denied = env.kubectlResult(
    ["apply", "-f", "-"],
    JSON.stringify(vidraResource("own-denied", withSecret, { fence: { deniedKinds: ["Secret"] } })),
  );
  expect(denied.code).not.toBe(0);
  expect(denied.stderr).toContain(
    'spec.manifest document 2, Secret/denied-secret: kind Secret in group "" (core) is denied by spec.fence',
  );
  expect(exists(["vidraresource", "own-denied"])).toBe(false);

  setOperatorConfig({ deniedKinds: "Secret, ClusterRoleBinding" });
  await eventually(
    async () =>
      /"deniedKinds":\[\{"group":"\*","kind":"Secret"/.test(await runningModule().logTail(200)),
    {
      what: "the new configuration to be read",
    },
  );
  apply(vidraResource("global-denied", withSecret));
  const vr = await waitForCondition(env, "vidraresource/global-denied", "Ready", "False", {
    reason: "FenceViolation",
  });
  expect(readyMessage(vr)).toBe(
    'document 2, Secret/denied-secret: kind Secret in group "" (core) is denied by the operator\'s fence',
  );
  expect(exists(["secret", "-n", "default", "denied-secret"])).toBe(false);
  expect(exists(["configmap", "-n", "default", "with-secret"])).toBe(false);
  setOperatorConfig(undefined);
  await waitForCondition(env, "vidraresource/global-denied", "Ready", "True");
  env.kubectl(["delete", "vidraresource", "global-denied", "--wait=true"]);
});

test("adoption: Adopt never takes over objects in kube-system; elsewhere it does", async () => {
  env.kubectl(["create", "configmap", "legacy", "-n", "kube-system", "--from-literal=k=original"]);
  env.kubectl(["create", "configmap", "legacy", "-n", "default", "--from-literal=k=original"]);
  apply(
    vidraResource("adopt-kube-system", yamlOf(configMap("legacy", "kube-system", { k: "taken" })), {
      adoption: "Adopt",
    }),
  );
  apply(
    vidraResource("adopt-default", yamlOf(configMap("legacy", "default", { k: "taken" })), {
      adoption: "Adopt",
    }),
  );
  const refused = await waitForCondition(env, "vidraresource/adopt-kube-system", "Ready", "False", {
    reason: "AdoptionRefused",
  });
  expect(readyMessage(refused)).toContain(
    "ConfigMap/kube-system/legacy: already exists and is not managed by vidra, and namespace kube-system is protected",
  );
  const live = getJson(env, ["get", "configmap", "-n", "kube-system", "legacy"]);
  expect(live.data).toEqual({ k: "original" });
  expect(live.metadata.labels?.["managed-by"]).toBeUndefined();

  await waitForCondition(env, "vidraresource/adopt-default", "Ready", "True");
  expect(getJson(env, ["get", "configmap", "-n", "default", "legacy"]).data).toEqual({
    k: "taken",
  });
  env.kubectl(["delete", "vidraresource", "adopt-kube-system", "adopt-default", "--wait=true"]);
});

test("requireServiceAccount refuses local applies without one; defaultServiceAccount supplies it", async () => {
  setOperatorConfig({ requireServiceAccount: "true" });
  await eventually(
    async () => /"requireServiceAccount":true/.test(await runningModule().logTail(200)),
    {
      what: "the new configuration to be read",
    },
  );
  apply(
    vidraResource("needs-sa", yamlOf(configMap("needs-sa", "team-a")), {
      destination: { namespace: "team-a" },
    }),
  );
  const vr = await waitForCondition(env, "vidraresource/needs-sa", "Ready", "False", {
    reason: "ServiceAccountRequired",
  });
  expect(readyMessage(vr)).toContain("set spec.serviceAccountName");
  expect(exists(["configmap", "-n", "team-a", "needs-sa"])).toBe(false);

  setOperatorConfig({ requireServiceAccount: "true", defaultServiceAccount: "applier" });
  const ok = await waitForCondition(env, "vidraresource/needs-sa", "Ready", "True");
  expect(readyMessage(ok)).toBe(
    "1 object(s) applied to this cluster as ServiceAccount team-a/applier",
  );
  setOperatorConfig(undefined);
  env.kubectl(["delete", "vidraresource", "needs-sa", "--wait=true"]);
});

test("cross-namespace Secret references are refused when switched off; the resource's own namespace works", async () => {
  setOperatorConfig({ allowCrossNamespaceSecretRefs: "false" });
  await eventually(
    async () => /"allowCrossNamespaceSecretRefs":false/.test(await runningModule().logTail(200)),
    { what: "the new configuration to be read" },
  );
  artifact("Tenancy_Refs", "r-01", yamlOf(configMap("refs", "team-b")));
  sync("refs", "Tenancy_Refs", {
    serviceAccountName: "applier",
    destination: { namespace: "team-b" },
  });
  const s = await waitForCondition(env, "infrahubsync/refs", "Ready", "False", {
    reason: "CrossNamespaceSecretRef",
  });
  expect(readyMessage(s)).toContain(
    "spec.source.credentialsSecretRef points to a Secret in namespace default, but this resource's namespace is team-b",
  );
  // Refused before Infrahub was asked: nothing was stored.
  expect(
    env.kubectl(["get", "vidraresources", "-l", "infrahub.operators.com/sync=refs", "-o", "name"]),
  ).toBe("");

  env.kubectl([
    "create",
    "secret",
    "generic",
    "infrahub",
    "-n",
    "team-b",
    "--from-literal=username=admin",
    "--from-literal=password=infrahub",
  ]);
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("refs", {
      source: {
        infrahubAPIURL: env.sim.url,
        artefactName: "Tenancy_Refs",
        discovery: "GraphQL",
        credentialsSecretRef: { name: "infrahub", namespace: "team-b" },
      },
      pollInterval: "1h",
      serviceAccountName: "applier",
      destination: { namespace: "team-b" },
    }),
  );
  await waitForCondition(env, "infrahubsync/refs", "Ready", "True");
  expect(exists(["configmap", "-n", "team-b", "refs"])).toBe(true);
  setOperatorConfig(undefined);
  env.kubectl(["delete", "infrahubsync", "refs", "--wait=true"]);
});

test("an app=vidra ConfigMap outside the operator's namespace is ignored, and honoured with VIDRA_PEPR_GLOBAL_CONFIG_ANY_NAMESPACE", async () => {
  env.kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "vidra-config", namespace: "default", labels: { app: "vidra" } },
      data: { refuseSecrets: "true" },
    }),
  );
  await eventually(
    async () =>
      /ConfigMap default\/vidra-config is labelled app=vidra but is not in the operator's namespace pepr-system; its settings are ignored/.test(
        await runningModule().logTail(200),
      ),
    { what: "the ignored ConfigMap to be logged" },
  );
  const manifest = yamlOf({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "plain-secret", namespace: "default" },
    stringData: { k: "v" },
  });
  apply(vidraResource("holds-secret", manifest));
  await waitForCondition(env, "vidraresource/holds-secret", "Ready", "True");

  // Vidra's any-namespace lookup, for a migration: the same ConfigMap now counts.
  await env.module.stop();
  restarted = await startModule({
    cluster: env.cluster.cp.details,
    env: { VIDRA_PEPR_GLOBAL_CONFIG_ANY_NAMESPACE: "true" },
  });
  await eventually(async () => /"refuseSecrets":true/.test(await runningModule().logTail(400)), {
    what: "the ConfigMap in default to be read",
    timeoutMs: 60_000,
  });
  env.kubectl([
    "patch",
    "vidraresource",
    "holds-secret",
    "--type=merge",
    "-p",
    JSON.stringify({ spec: { reconciledAt: new Date().toISOString() } }),
  ]);
  const vr = await waitForCondition(env, "vidraresource/holds-secret", "Ready", "False", {
    reason: "SecretsRefused",
  });
  expect(readyMessage(vr)).toContain("refuseSecrets");
});
