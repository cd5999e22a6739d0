/**
 * What `npm run build` leaves in dist/: the ClusterRole is exactly the rules of the committed preset
 * (no wildcard), the Helm chart carries the same rules and the CRDs, a real API server accepts every
 * object of the module manifest through `kubectl apply --server-side`, the ServiceAccount it binds may
 * do what the operator needs and not more, and the watcher's CRD install works under that identity.
 *
 * Needs `npm run build` first. No scheduler or kubelet runs here, so the module's pods never start:
 * the Deployments are only checked to be accepted.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { infrahubSyncCrd } from "../../crds/sources/infrahubsync";
import { vidraResourceCrd } from "../../crds/sources/vidraresource";
import {
  CRD_FIELD_MANAGER,
  installCrdsUntilEstablished,
  startCrdInstall,
} from "../../capabilities/lib/crd-install";
import { KubeClient, type KubeObject } from "../../capabilities/lib/kube/client";
import { recordingLogger } from "../../capabilities/lib/logger";
import { ruleDiff, type PolicyRule } from "../../hack/rbac/policy-rules";
import { WATCHER_NODE_FLAGS } from "../../hack/node-flags";
import { shardObjects } from "../../hack/shard-manifests";
import { eventually, startTestCluster, type TestCluster } from "../support/cluster";
import {
  builtDocs,
  CHART_DIR,
  describeAccess,
  expectedRules,
  kubectl,
  mayModule,
  MODULE_NAME,
  MODULE_NS,
  MODULE_USER,
  MODULE_YAML,
  PEPR_STORE_CRD,
  PKG,
  ROOT,
  serviceAccountToken,
  tokenConnection,
  UUID,
  type Access,
  type Doc,
} from "./support";

const CRDS = [infrahubSyncCrd, vidraResourceCrd];
const CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

let docs: Doc[];
let cluster: TestCluster;
const clients: KubeClient[] = [];

beforeAll(async () => {
  docs = builtDocs();
  cluster = await startTestCluster({ name: "deploy-manifests" });
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await cluster?.stop();
});

function clusterRole(): PolicyRule[] {
  const roles = docs.filter(d => d.kind === "ClusterRole");
  expect(roles.map(r => r.metadata.name)).toEqual([MODULE_NAME]);
  return roles[0].rules as PolicyRule[];
}

function saClient(token: string): KubeClient {
  const c = new KubeClient(tokenConnection(cluster, token), { maxAttempts: 1 });
  clients.push(c);
  return c;
}

describe("the built ClusterRole", () => {
  it("has no wildcard and is exactly the rules of the committed preset", () => {
    const rules = clusterRole();
    const strings = rules.flatMap(r => [
      ...r.apiGroups,
      ...r.resources,
      ...r.verbs,
      ...(r.resourceNames ?? []),
    ]);
    expect(strings.filter(s => s.includes("*"))).toEqual([]);
    // package.json is what `npm run gen:rbac -- --preset webserver` writes, and the build emits it as is.
    expect(PKG.pepr.rbacMode).toBe("scoped");
    expect(ruleDiff(expectedRules(), PKG.pepr.rbac ?? [])).toEqual([]);
    expect(ruleDiff(expectedRules(), rules)).toEqual([]);
    expect(rules).toHaveLength(expectedRules().length);
  });

  it("is the same in the Helm chart, which also ships the CRDs", () => {
    const values = load(readFileSync(join(CHART_DIR, "values.yaml"), "utf8")) as {
      rbac: PolicyRule[];
    };
    expect(ruleDiff(expectedRules(), values.rbac)).toEqual([]);
    expect(readFileSync(join(CHART_DIR, "templates", "cluster-role.yaml"), "utf8")).toContain(
      "toYaml .Values.rbac",
    );
    const crdFiles = readdirSync(join(ROOT, "crds")).filter(f => f.endsWith(".yaml"));
    expect(readdirSync(join(CHART_DIR, "crds")).sort()).toEqual(crdFiles.sort());
    for (const f of crdFiles) {
      expect(readFileSync(join(CHART_DIR, "crds", f), "utf8")).toBe(
        readFileSync(join(ROOT, "crds", f), "utf8"),
      );
    }
  });
});

describe("the Infrahub webhook receiver's Service", () => {
  it("selects the watcher pods and reaches the receiver's port, in the manifest and the chart", () => {
    const service = docs.find(
      d => d.kind === "Service" && d.metadata.name === `${MODULE_NAME}-infrahub-webhooks`,
    );
    const watcher = docs.find(
      d => d.kind === "Deployment" && d.metadata.name === `${MODULE_NAME}-watcher`,
    );
    expect(service).toBeDefined();
    expect(service!.metadata.namespace).toBe(MODULE_NS);
    const spec = service!.spec as { selector: Record<string, string>; ports: unknown[] };
    const podLabels = (
      watcher!.spec as { template: { metadata: { labels: Record<string, string> } } }
    ).template.metadata.labels;
    expect(Object.entries(spec.selector).every(([k, v]) => podLabels[k] === v)).toBe(true);
    expect(spec.ports).toEqual([
      { name: "infrahub-hooks", port: 443, targetPort: 8443, protocol: "TCP" },
    ]);
    const template = readFileSync(
      join(CHART_DIR, "templates", "infrahub-webhooks-service.yaml"),
      "utf8",
    );
    expect(template).toContain(`name: ${MODULE_NAME}-infrahub-webhooks`);
    expect(template).toContain("targetPort: 8443");
  });
});

describe("the watcher's Node.js options (hack/node-flags.ts)", () => {
  it("start the watcher's node, in the manifest and the chart, and not the admission pods'", () => {
    const args = (name: string) =>
      (
        docs.find(d => d.kind === "Deployment" && d.metadata.name === name)!.spec as {
          template: { spec: { containers: Array<{ args: string[] }> } };
        }
      ).template.spec.containers[0].args;
    const watcher = args(`${MODULE_NAME}-watcher`);
    expect(watcher.slice(0, WATCHER_NODE_FLAGS.length + 1)).toEqual([
      ...WATCHER_NODE_FLAGS,
      "/app/node_modules/pepr/dist/controller.js",
    ]);
    expect(args(MODULE_NAME)[0]).toBe("/app/node_modules/pepr/dist/controller.js");
    // pepr.env's fixed glibc mmap threshold (README, The watcher's heap sizing) reaches the pods.
    const env = (
      docs.find(d => d.kind === "Deployment" && d.metadata.name === `${MODULE_NAME}-watcher`)!
        .spec as { template: { spec: { containers: Array<{ env: unknown[] }> } } }
    ).template.spec.containers[0].env;
    expect(env).toContainEqual({ name: "MALLOC_MMAP_THRESHOLD_", value: "131072" });
    const values = load(readFileSync(join(CHART_DIR, "values.yaml"), "utf8")) as {
      watcher: { nodeFlags: string[] };
    };
    expect(values.watcher.nodeFlags).toEqual([...WATCHER_NODE_FLAGS]);
    expect(readFileSync(join(CHART_DIR, "templates", "watcher-deployment.yaml"), "utf8")).toContain(
      "{{- range .Values.watcher.nodeFlags }}",
    );
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe("the admission webhook and its pods (hack/post-build.ts)", () => {
  const deployment = (controller: string): Json =>
    docs.find(
      d =>
        d.kind === "Deployment" &&
        (d.metadata.labels as Json)?.["pepr.dev/controller"] === controller,
    );

  it("exempts the module's own ServiceAccount from the webhook, which fails closed for everyone else", () => {
    const hooks = docs.filter(d => d.kind === "ValidatingWebhookConfiguration") as Json[];
    expect(hooks).toHaveLength(1);
    for (const w of hooks[0].webhooks) {
      expect(w.failurePolicy).toBe("Fail");
      expect(w.matchConditions).toEqual([
        {
          name: "not-the-operator-itself",
          expression: `request.userInfo.username != '${MODULE_USER}'`,
        },
      ]);
    }
    // Both Deployments run as that ServiceAccount (Pepr 1.1.4 gives them one).
    for (const c of ["admission", "watcher"])
      expect(deployment(c).spec.template.spec.serviceAccountName).toBe(MODULE_NAME);
    expect(MODULE_USER).toBe(`system:serviceaccount:${MODULE_NS}:${MODULE_NAME}`);
  });

  it("keeps one admission pod through voluntary disruptions, and selects no watcher pod", () => {
    const pdbs = docs.filter(d => d.kind === "PodDisruptionBudget") as Json[];
    expect(pdbs).toHaveLength(1);
    const pdb = pdbs[0];
    const admission = deployment("admission");
    const watcherPod = deployment("watcher").spec.template.metadata.labels;
    expect(pdb.apiVersion).toBe("policy/v1");
    expect(pdb.metadata.namespace).toBe(admission.metadata.namespace);
    expect(pdb.spec.selector.matchLabels).toEqual(admission.spec.selector.matchLabels);
    const selects = (labels: Record<string, string>) =>
      Object.entries(pdb.spec.selector.matchLabels).every(([k, v]) => labels[k] === v);
    expect(selects(admission.spec.template.metadata.labels)).toBe(true);
    expect(selects(watcherPod)).toBe(false);
    expect(pdb.spec.minAvailable).toBe(1);
    expect(admission.spec.replicas).toBeGreaterThan(pdb.spec.minAvailable);
  });

  it("is the same in the Helm chart", () => {
    const hook = readFileSync(join(CHART_DIR, "templates", "validation-webhook.yaml"), "utf8");
    expect(hook).toContain(
      `      - name: not-the-operator-itself\n        expression: "request.userInfo.username != '${MODULE_USER}'"\n`,
    );
    const pdb = readFileSync(join(CHART_DIR, "templates", "admission-pdb.yaml"), "utf8");
    expect(pdb).toMatch(/^\{\{- if \.Values\.admission\.enabled \}\}\n/);
    expect(pdb).toContain("kind: PodDisruptionBudget");
    expect(pdb).toContain("minAvailable: 1");
    expect(pdb).toContain("      app: {{ .Values.uuid }}\n      pepr.dev/controller: admission\n");
  });
});

describe("the module manifest on a real API server", () => {
  it("is accepted as a whole by kubectl apply --server-side, and every object exists", () => {
    const kc = cluster.cp.kubeconfigPath;
    const out = kubectl(kc, ["apply", "--server-side", "-f", MODULE_YAML]);
    expect(out.trim().split("\n")).toHaveLength(docs.length);
    expect(out).not.toMatch(/error|invalid/i);
    const live = JSON.parse(kubectl(kc, ["get", "-f", MODULE_YAML, "-o", "json"])) as {
      items: KubeObject[];
    };
    const id = (o: { kind?: string; metadata?: { namespace?: string; name?: string } }) =>
      `${o.kind} ${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;
    expect(live.items.map(id).sort()).toEqual(docs.map(id).sort());
    expect(live.items.every(o => o.metadata?.uid)).toBe(true);
    expect(docs.map(d => d.kind)).toEqual(
      expect.arrayContaining(["ClusterRole", "ClusterRoleBinding", "ServiceAccount", "Deployment"]),
    );
    // The API server kept the exemption and the PodDisruptionBudget as built.
    const hook = live.items.find(o => o.kind === "ValidatingWebhookConfiguration") as Json;
    expect(hook.webhooks[0].matchConditions[0].name).toBe("not-the-operator-itself");
    const pdb = live.items.find(o => o.kind === "PodDisruptionBudget") as Json;
    expect(pdb.spec.minAvailable).toBe(1);
    // Applying the same build again is a no-op, as an upgrade with unchanged manifests should be.
    expect(kubectl(kc, ["apply", "--server-side", "-f", MODULE_YAML])).not.toMatch(/error/i);
  });

  it("accepts one more shard's watcher made from it (npm run shard:manifests), beside the built one", () => {
    const kc = cluster.cp.kubeconfigPath;
    const shard = shardObjects(docs, { name: "b", keys: ["b"], unlabelled: false, replicas: 2 });
    const out = kubectl(
      kc,
      ["apply", "--server-side", "-f", "-"],
      JSON.stringify({ apiVersion: "v1", kind: "List", items: shard }),
    );
    expect(out).not.toMatch(/error|invalid/i);
    const get = (name: string) =>
      JSON.parse(kubectl(kc, ["get", "-n", MODULE_NS, "deployment", name, "-o", "json"])) as {
        spec: { replicas: number; selector: { matchLabels: Record<string, string> } };
      };
    const shardB = get(`${MODULE_NAME}-watcher-b`);
    const main = get(`${MODULE_NAME}-watcher`);
    expect(shardB.spec.replicas).toBe(2);
    // Neither Deployment selects the other's pods.
    expect(shardB.spec.selector.matchLabels.app).not.toBe(main.spec.selector.matchLabels.app);
    const hooks = JSON.parse(
      kubectl(kc, [
        "get",
        "-n",
        MODULE_NS,
        "service",
        `${MODULE_NAME}-infrahub-webhooks-b`,
        "-o",
        "json",
      ]),
    ) as { spec: { selector: Record<string, string> } };
    expect(hooks.spec.selector.app).toBe(`${MODULE_NAME}-watcher-b`);
  });

  const crdName = (n: string) => ({
    group: "apiextensions.k8s.io",
    resource: "customresourcedefinitions",
    name: n,
  });
  const own = (resource: string, verbs: string[], subresource?: string): Access[] =>
    verbs.map(verb => ({ verb, group: "infrahub.operators.com", resource, subresource }));
  const full = ["get", "list", "watch", "create", "update", "patch", "delete"];
  const applied = (group: string, resource: string, namespace?: string): Access[] =>
    full.map(verb => ({ verb, group, resource, namespace }));

  const needed: Access[] = [
    ...own("infrahubsyncs", full),
    ...own("infrahubsyncs", ["get", "update", "patch"], "status"),
    ...own("infrahubsyncs", ["update"], "finalizers"),
    ...own("vidraresources", full),
    ...own("vidraresources", ["get", "update", "patch"], "status"),
    ...own("vidraresources", ["update"], "finalizers"),
    ...["create", "get", "patch", "update"].flatMap(verb =>
      [
        "infrahubsyncs.infrahub.operators.com",
        "vidraresources.infrahub.operators.com",
        "peprstores.pepr.dev",
      ].map(n => ({ verb, ...crdName(n) })),
    ),
    ...["get", "list", "watch", "create", "patch"].map(verb => ({
      verb,
      group: "pepr.dev",
      resource: "peprstores",
      namespace: MODULE_NS,
      name: `pepr-${UUID}-store`,
    })),
    ...["get", "list", "watch"].map(verb => ({ verb, resource: "secrets", namespace: "team-a" })),
    ...["get", "list", "watch"].map(verb => ({ verb, resource: "secrets" })),
    ...["get", "list", "watch"].map(verb => ({ verb, resource: "configmaps" })),
    { verb: "create", resource: "events", namespace: "default" },
    { verb: "patch", resource: "events", namespace: "default" },
    { verb: "create", group: "events.k8s.io", resource: "events", namespace: "team-a" },
    // Leader election on its Lease.
    ...["get", "create", "update"].map(verb => ({
      verb,
      group: "coordination.k8s.io",
      resource: "leases",
      namespace: MODULE_NS,
    })),
    // The webserver preset: Vidra's demo kinds.
    ...applied("", "namespaces"),
    ...applied("apps", "deployments", "team-a"),
    ...applied("", "services", "team-a"),
    ...applied("networking.k8s.io", "ingresses", "team-a"),
    ...applied("", "configmaps", "team-a"),
    ...applied("", "secrets", "team-a"),
    ...applied("", "serviceaccounts", "team-a"),
    // Tenancy: syncs apply as their ServiceAccount.
    { verb: "impersonate", resource: "serviceaccounts", namespace: "team-a" },
  ];

  const notNeeded: Access[] = [
    { verb: "patch", ...crdName("foos.example.com") },
    { verb: "list", group: "apiextensions.k8s.io", resource: "customresourcedefinitions" },
    { verb: "delete", ...crdName("infrahubsyncs.infrahub.operators.com") },
    {
      verb: "get",
      group: "pepr.dev",
      resource: "peprstores",
      namespace: MODULE_NS,
      name: "pepr-other-store",
    },
    { verb: "deletecollection", resource: "secrets", namespace: "team-a" },
    { verb: "create", resource: "pods", namespace: "team-a" },
    { verb: "create", group: "apps", resource: "statefulsets", namespace: "team-a" },
    { verb: "create", group: "rbac.authorization.k8s.io", resource: "clusterrolebindings" },
    { verb: "create", group: "rbac.authorization.k8s.io", resource: "roles", namespace: "team-a" },
    { verb: "bind", group: "rbac.authorization.k8s.io", resource: "clusterroles" },
    { verb: "escalate", group: "rbac.authorization.k8s.io", resource: "clusterroles" },
    { verb: "impersonate", resource: "users" },
    { verb: "impersonate", resource: "groups" },
    { verb: "list", resource: "nodes" },
    {
      verb: "create",
      group: "admissionregistration.k8s.io",
      resource: "validatingwebhookconfigurations",
    },
    { verb: "delete", group: "coordination.k8s.io", resource: "leases", namespace: MODULE_NS },
    { verb: "list", group: "coordination.k8s.io", resource: "leases", namespace: MODULE_NS },
  ];

  it("binds the module's ServiceAccount to everything the operator needs", async () => {
    const denied: string[] = [];
    for (const a of needed) if (!(await mayModule(cluster.kube, a))) denied.push(describeAccess(a));
    expect(denied).toEqual([]);
  });

  it("grants nothing outside the operator's needs and the preset", async () => {
    const allowed: string[] = [];
    for (const a of notNeeded)
      if (await mayModule(cluster.kube, a)) allowed.push(describeAccess(a));
    expect(allowed).toEqual([]);
  });
});

describe("the watcher's CRD install (capabilities/lib/crd-install.ts)", () => {
  it("installs and establishes the CRDs as the module's ServiceAccount, idempotently", async () => {
    const token = await serviceAccountToken(cluster.kube, MODULE_NS, MODULE_NAME);
    const sa = saClient(token);
    for (const c of CRDS)
      expect(await cluster.kube.getOptional(`${CRD_PATH}/${c.metadata.name}`)).toBeUndefined();
    // Pepr's controller applies its store CRD with the same identity before it starts the module.
    await sa.apply(`${CRD_PATH}/${PEPR_STORE_CRD.metadata.name}`, PEPR_STORE_CRD, {
      fieldManager: "pepr",
      force: true,
    });
    const log = recordingLogger();
    await installCrdsUntilEstablished({ api: () => sa, crds: CRDS, logger: log });
    expect(log.records.map(r => `${r.level} ${r.msg}`)).toEqual([
      "info CustomResourceDefinitions installed and Established",
    ]);
    const versions: string[] = [];
    for (const c of CRDS) {
      const live = await cluster.kube.get<
        KubeObject & { status: { conditions: Array<{ type: string; status: string }> } }
      >(`${CRD_PATH}/${c.metadata.name}`);
      expect(live.status.conditions).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: "Established", status: "True" })]),
      );
      expect(live.metadata?.managedFields).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ manager: CRD_FIELD_MANAGER, operation: "Apply" }),
        ]),
      );
      versions.push(String(live.metadata?.resourceVersion));
    }
    // A restart applies the same CRDs again: nothing changes.
    await installCrdsUntilEstablished({ api: () => sa, crds: CRDS, logger: recordingLogger() });
    for (const [i, c] of CRDS.entries()) {
      const live = await cluster.kube.get(`${CRD_PATH}/${c.metadata.name}`);
      expect(live.metadata?.resourceVersion).toBe(versions[i]);
    }
  });

  it("logs a forbidden install clearly and retries until RBAC allows it", async () => {
    const kc = cluster.cp.kubeconfigPath;
    kubectl(kc, ["create", "serviceaccount", "-n", MODULE_NS, "unbound"]);
    const token = await serviceAccountToken(cluster.kube, MODULE_NS, "unbound");
    const log = recordingLogger();
    const install = startCrdInstall({
      api: () => saClient(token),
      crds: CRDS,
      logger: log,
      baseDelayMs: 200,
      maxDelayMs: 1000,
    });
    try {
      const first = await eventually(async () => log.records.find(r => r.level === "error"), {
        what: "a logged CRD install failure",
      });
      expect(first.fields.reason).toBe("CrdForbidden");
      expect(String(first.fields.err)).toContain(
        "the operator may not apply CustomResourceDefinition infrahubsyncs.infrahub.operators.com",
      );
      expect(String(first.fields.err)).toContain("npm run gen:rbac");
      expect(install.done).toBe(false);
      kubectl(kc, [
        "create",
        "clusterrolebinding",
        "unbound-gets-module-role",
        `--clusterrole=${MODULE_NAME}`,
        `--serviceaccount=${MODULE_NS}:unbound`,
      ]);
      await install.ready;
      expect(install.done).toBe(true);
      expect(log.records.at(-1)?.msg).toBe("CustomResourceDefinitions installed and Established");
      expect(JSON.stringify(log.records)).not.toContain(token);
    } finally {
      install.stop();
    }
  });
});
