import { execFileSync } from "node:child_process";
import { ResourceManager } from "../../capabilities/lib/apply/resource-manager";
import { ApplyBlockedError } from "../../capabilities/lib/apply/types";
import { ResourceMapper } from "../../capabilities/lib/kube/discovery";
import type { KubeObject } from "../../capabilities/lib/kube/client";
import { parseManifest } from "../../capabilities/lib/manifest/parse";
import { validateObjects } from "../../capabilities/lib/manifest/validate";
import type { NormalizedObject } from "../../capabilities/lib/manifest/types";
import { ownerFieldManager, OWNED_BY_ANNOTATION } from "../../capabilities/lib/sync/markers";
import { startTestCluster, type TestCluster } from "../support/cluster";

let cluster: TestCluster;
let mapper: ResourceMapper;
let rm: ResourceManager;
const writes: string[] = [];

beforeAll(async () => {
  cluster = await startTestCluster({ name: "rm" });
  cluster.kube = new (cluster.kube
    .constructor as typeof import("../../capabilities/lib/kube/client").KubeClient)(
    cluster.connection,
    {
      onRequest: i => {
        if (i.method !== "GET" && !i.dryRun) writes.push(`${i.method} ${i.path}`);
      },
    },
  );
  mapper = new ResourceMapper(cluster.kube);
  rm = new ResourceManager(cluster.kube, mapper);
});

afterAll(async () => {
  await cluster?.stop();
});

async function objects(yaml: string, defaultNamespace = "default"): Promise<NormalizedObject[]> {
  const parsed = parseManifest(yaml);
  const scopes = new Map<string, "Namespaced" | "Cluster" | undefined>();
  for (const p of parsed) {
    const info = await mapper.resolve(p.object.apiVersion, p.object.kind);
    scopes.set(
      `${p.object.apiVersion}/${p.object.kind}`,
      info ? (info.namespaced ? "Namespaced" : "Cluster") : undefined,
    );
  }
  return validateObjects(parsed, { defaultNamespace, scopeOf: (av, k) => scopes.get(`${av}/${k}`) })
    .objects;
}

const owner = (name: string) => ({ name, fieldManager: ownerFieldManager(name) });

const webapp = (replicas: number) => `
apiVersion: v1
kind: Namespace
metadata: { name: web }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings, namespace: web }
data: { color: blue }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: nginx, namespace: web }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: nginx } }
  template:
    metadata: { labels: { app: nginx } }
    spec: { containers: [{ name: nginx, image: "nginx:1.27" }] }
`;

test("creates a bundle into a new namespace, then re-applying it writes nothing", async () => {
  writes.length = 0;
  const first = await rm.apply(await objects(webapp(2)), owner("vr-a"), { adoption: "Refuse" });
  // One write per object: the owned-by list comes with the creating apply, not in a patch after.
  expect(writes).toHaveLength(3);
  expect(first.map(e => `${e.action} ${e.subject}`).sort()).toEqual([
    "created ConfigMap/web/settings",
    "created Deployment/web/nginx",
    "created Namespace/web",
  ]);
  const cm = await cluster.kube.get<KubeObject>("/api/v1/namespaces/web/configmaps/settings");
  expect(cm.metadata?.labels?.["managed-by"]).toBe("vidra");
  expect(cm.metadata?.annotations?.[OWNED_BY_ANNOTATION]).toBe("vr-a");
  expect(
    cm.metadata?.managedFields?.some(
      f =>
        f.manager === "vidra-pepr/vr-a" &&
        f.operation === "Apply" &&
        JSON.stringify(f.fieldsV1).includes(OWNED_BY_ANNOTATION),
    ),
  ).toBe(true);

  writes.length = 0;
  const again = await rm.apply(await objects(webapp(2)), owner("vr-a"), { adoption: "Refuse" });
  expect(again.every(e => e.action === "unchanged")).toBe(true);
  expect(writes).toEqual([]);
});

test("changes only what changed", async () => {
  writes.length = 0;
  const entries = await rm.apply(await objects(webapp(3)), owner("vr-a"), { adoption: "Refuse" });
  expect(entries.filter(e => e.action === "configured").map(e => e.subject)).toEqual([
    "Deployment/web/nginx",
  ]);
  expect(writes).toEqual(["PATCH /apis/apps/v1/namespaces/web/deployments/nginx"]);
});

test("repairs drift made with kubectl edit-like updates by forcing over non-vidra managers", async () => {
  execFileSync("kubectl", [
    "--kubeconfig",
    cluster.cp.kubeconfigPath,
    "-n",
    "web",
    "scale",
    "deployment/nginx",
    "--replicas=7",
  ]);
  const entries = await rm.apply(await objects(webapp(3)), owner("vr-a"), { adoption: "Refuse" });
  expect(entries.find(e => e.subject === "Deployment/web/nginx")?.action).toBe("configured");
  const d = await cluster.kube.get<KubeObject & { spec: { replicas: number } }>(
    "/apis/apps/v1/namespaces/web/deployments/nginx",
  );
  expect(d.spec.replicas).toBe(3);
});

test("refuses to adopt an unmanaged object, and nothing of the bundle is written", async () => {
  execFileSync("kubectl", [
    "--kubeconfig",
    cluster.cp.kubeconfigPath,
    "create",
    "configmap",
    "mine",
    "-n",
    "default",
    "--from-literal=a=b",
    "--from-literal=extra=1",
  ]);
  writes.length = 0;
  const yaml = `
apiVersion: v1
kind: ConfigMap
metadata: { name: fresh }
data: { x: "1" }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: mine }
data: { a: c }
`;
  const err = await rm
    .apply(await objects(yaml), owner("vr-b"), { adoption: "Refuse" })
    .catch(e => e);
  expect(err).toBeInstanceOf(ApplyBlockedError);
  expect((err as ApplyBlockedError).reason).toBe("AdoptionRefused");
  expect((err as ApplyBlockedError).message).toContain(
    "ConfigMap/default/mine: already exists and is not managed by vidra",
  );
  expect(writes).toEqual([]);

  const adopted = await rm.apply(await objects(yaml), owner("vr-b"), { adoption: "Adopt" });
  expect(adopted.map(e => `${e.action} ${e.subject}`).sort()).toEqual([
    "configured ConfigMap/default/mine",
    "created ConfigMap/default/fresh",
  ]);
  // Adopting replaces: what the manifest does not have is gone, not merged in.
  const mine = await cluster.kube.get<KubeObject & { data: Record<string, string> }>(
    "/api/v1/namespaces/default/configmaps/mine",
  );
  expect(mine.data).toEqual({ a: "c" });
  expect(
    mine.metadata?.managedFields?.some(
      f => f.manager === "vidra-pepr/vr-b" && f.operation === "Apply",
    ),
  ).toBe(true);
});

test("two owners agreeing share an object; disagreeing is a conflict that is not forced", async () => {
  const shared = (color: string) => `
apiVersion: v1
kind: ConfigMap
metadata: { name: shared }
data: { color: ${color} }
`;
  await rm.apply(await objects(shared("red")), owner("vr-1"), { adoption: "Refuse" });
  await rm.apply(await objects(shared("red")), owner("vr-2"), { adoption: "Refuse" });
  let cm = await cluster.kube.get<KubeObject>("/api/v1/namespaces/default/configmaps/shared");
  expect(cm.metadata?.annotations?.[OWNED_BY_ANNOTATION]).toBe("vr-1,vr-2");
  // vr-1 created it with the list in its apply; vr-2's joining moved the list to the operator's
  // own manager, so vr-1's applies leave it out now and neither changes nor removes it.
  const listManagers = cm.metadata?.managedFields
    ?.filter(f => JSON.stringify(f.fieldsV1).includes(OWNED_BY_ANNOTATION))
    .map(f => `${f.manager}/${f.operation}`);
  expect(listManagers).toEqual(["vidra-pepr/Update"]);
  writes.length = 0;
  const again = await rm.apply(await objects(shared("red")), owner("vr-1"), { adoption: "Refuse" });
  expect(again.map(e => e.action)).toEqual(["unchanged"]);
  expect(writes).toEqual([]);

  const err = await rm
    .apply(await objects(shared("green")), owner("vr-2"), { adoption: "Refuse" })
    .catch(e => e);
  expect(err).toBeInstanceOf(ApplyBlockedError);
  expect((err as ApplyBlockedError).reason).toBe("OwnershipConflict");
  expect((err as Error).message).toContain("VidraResource vr-1 sets .data.color to other values");
  cm = await cluster.kube.get<KubeObject & { data: Record<string, string> }>(
    "/api/v1/namespaces/default/configmaps/shared",
  );
  expect((cm as unknown as { data: Record<string, string> }).data.color).toBe("red");

  // vr-1 leaves: the object stays (vr-2 still lists it) and vr-1 is dropped from owned-by.
  const released = await rm.prune(
    [
      {
        apiVersion: "v1",
        group: "",
        version: "v1",
        kind: "ConfigMap",
        namespace: "default",
        name: "shared",
      },
    ],
    owner("vr-1"),
    "delete",
  );
  expect(released[0].action).toBe("released");
  cm = await cluster.kube.get<KubeObject>("/api/v1/namespaces/default/configmaps/shared");
  expect(cm.metadata?.annotations?.[OWNED_BY_ANNOTATION]).toBe("vr-2");

  // Now vr-2 alone owns it and may change it.
  await rm.apply(await objects(shared("green")), owner("vr-2"), { adoption: "Refuse" });
  const deleted = await rm.prune(
    [
      {
        apiVersion: "v1",
        group: "",
        version: "v1",
        kind: "ConfigMap",
        namespace: "default",
        name: "shared",
      },
    ],
    owner("vr-2"),
    "delete",
  );
  expect(deleted[0].action).toBe("deleted");
  expect(
    await cluster.kube.getOptional("/api/v1/namespaces/default/configmaps/shared"),
  ).toBeUndefined();
});

test("a CRD and its custom objects apply in one bundle", async () => {
  const yaml = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: widgets.example.com }
spec:
  group: example.com
  scope: Namespaced
  names: { kind: Widget, plural: widgets, singular: widget, listKind: WidgetList }
  versions:
    - name: v1
      served: true
      storage: true
      schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
---
apiVersion: example.com/v1
kind: Widget
metadata: { name: w1, namespace: default }
spec: { size: 3 }
`;
  const parsed = parseManifest(yaml);
  const objs = validateObjects(parsed, {
    scopeOf: (av, k) =>
      k === "Widget" ? "Namespaced" : k === "CustomResourceDefinition" ? "Cluster" : undefined,
  }).objects;
  const entries = await rm.apply(objs, owner("vr-crd"), { adoption: "Refuse" });
  expect(entries.map(e => `${e.action} ${e.subject}`)).toEqual([
    "created CustomResourceDefinition/widgets.example.com",
    "created Widget/default/w1",
  ]);
});

test("an invalid object blocks the whole bundle with the API server's reason", async () => {
  writes.length = 0;
  const yaml = `
apiVersion: v1
kind: ConfigMap
metadata: { name: ok-one }
data: { a: "1" }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: broken }
spec: { replicas: "three" }
`;
  const err = await rm
    .apply(await objects(yaml), owner("vr-x"), { adoption: "Refuse" })
    .catch(e => e);
  expect(err).toBeInstanceOf(ApplyBlockedError);
  expect((err as Error).message).toMatch(/Deployment\/default\/broken: .*replicas/);
  expect(writes).toEqual([]);
});

test("owners leaving a shared object at the same moment: the last one deletes it", async () => {
  const yaml = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: together }
spec:
  rules: [{ host: together.example.com, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: x, port: { number: 80 } } } }] } }]
`;
  const owners = ["vr-p", "vr-q", "vr-r"].map(owner);
  for (const o of owners) await rm.apply(await objects(yaml), o, { adoption: "Refuse" });
  const ref = {
    apiVersion: "networking.k8s.io/v1",
    group: "networking.k8s.io",
    version: "v1",
    kind: "Ingress",
    namespace: "default",
    name: "together",
  };
  const results = await Promise.all(owners.map(o => rm.prune([ref], o, "delete")));
  expect(
    results
      .flat()
      .map(e => e.action)
      .sort(),
  ).toEqual(["deleted", "released", "released"]);
  expect(
    await cluster.kube.getOptional(
      "/apis/networking.k8s.io/v1/namespaces/default/ingresses/together",
    ),
  ).toBeUndefined();
});

test("many objects of one kind are read with one LIST, and an unchanged re-apply still writes nothing", async () => {
  const yaml = Array.from(
    { length: 8 },
    (_, i) =>
      `---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: many-${i}, namespace: default }\ndata: { i: "${i}" }\n`,
  ).join("");
  await rm.apply(await objects(yaml), owner("vr-many"), { adoption: "Refuse" });
  writes.length = 0;
  const reads: string[] = [];
  const counting = new ResourceManager(
    new (cluster.kube
      .constructor as typeof import("../../capabilities/lib/kube/client").KubeClient)(
      cluster.connection,
      {
        onRequest: i => {
          if (i.method === "GET") reads.push(i.path);
          if (i.method !== "GET" && !i.dryRun) writes.push(`${i.method} ${i.path}`);
        },
      },
    ),
    mapper,
  );
  const again = await counting.apply(await objects(yaml), owner("vr-many"), { adoption: "Refuse" });
  expect(again.every(e => e.action === "unchanged")).toBe(true);
  expect(writes).toEqual([]);
  expect(reads.filter(p => p.startsWith("/api/v1/namespaces/default/configmaps"))).toEqual([
    "/api/v1/namespaces/default/configmaps",
  ]);
});

test("a set's Namespace is read once per apply, whether it is new or already there", async () => {
  const yaml = `
apiVersion: v1
kind: Namespace
metadata: { name: read-once }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: one, namespace: read-once }
data: { k: v }
`;
  const reads: string[] = [];
  const counting = new ResourceManager(
    new (cluster.kube
      .constructor as typeof import("../../capabilities/lib/kube/client").KubeClient)(
      cluster.connection,
      { onRequest: i => i.method === "GET" && reads.push(i.path) },
    ),
    mapper,
  );
  const nsReads = () => reads.filter(p => p === "/api/v1/namespaces/read-once");
  const created = await counting.apply(await objects(yaml), owner("vr-read-once"), {
    adoption: "Refuse",
  });
  expect(created.map(e => e.action)).toEqual(["created", "created"]);
  expect(nsReads()).toHaveLength(1);
  reads.length = 0;
  const again = await counting.apply(await objects(yaml), owner("vr-read-once"), {
    adoption: "Refuse",
  });
  expect(again.map(e => e.action)).toEqual(["unchanged", "unchanged"]);
  expect(nsReads()).toHaveLength(1);
});

/** Retries what the reconciler would retry (conflicts, objects being deleted), as its queue does. */
async function settle<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err as { retryable?: boolean }).retryable || attempt >= 20) throw err;
      await new Promise(r => setTimeout(r, 20 * attempt));
    }
  }
}

test("two owners applying and pruning shared objects at once never lose an object either still lists", async () => {
  const names = Array.from({ length: 8 }, (_, i) => `race-${i}`);
  const yaml = names
    .map(
      n =>
        `---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${n}, namespace: default }\ndata: { k: v }\n`,
    )
    .join("");
  const refs = names.map(name => ({
    apiVersion: "v1",
    group: "",
    version: "v1",
    kind: "ConfigMap",
    namespace: "default",
    name,
  }));
  const [a, b] = [owner("race-a"), owner("race-b")];
  const apply = async (o: typeof a) =>
    settle(async () => rm.apply(await objects(yaml), o, { adoption: "Refuse" }));
  const prune = (o: typeof a) => settle(() => rm.prune(refs, o, "delete"));
  const live = async () =>
    Promise.all(
      names.map(n =>
        cluster.kube.getOptional<KubeObject>(`/api/v1/namespaces/default/configmaps/${n}`),
      ),
    );
  const ownersOnAll = async (): Promise<string[]> => {
    const objs = await live();
    const seen = new Set<string>();
    for (const o of objs) {
      if (!o) {
        seen.add("<missing>");
        continue;
      }
      seen.add(o.metadata?.annotations?.[OWNED_BY_ANNOTATION] ?? "<no list>");
    }
    return [...seen];
  };

  for (let i = 0; i < 12; i++) {
    await apply(b);
    // a joins while b re-applies; then b leaves while a re-applies: a still lists them all.
    await Promise.all([apply(a), apply(b)]);
    await Promise.all([prune(b), apply(a)]);
    expect({ i, owners: await ownersOnAll() }).toEqual({ i, owners: ["race-a"] });
    // b joins while a leaves: whichever lands first, b still lists them all afterwards.
    await Promise.all([prune(a), apply(b)]);
    expect({ i, owners: await ownersOnAll() }).toEqual({ i, owners: ["race-b"] });
    // Both leave at once: the last one deletes.
    await Promise.all([apply(a), apply(b)]);
    await Promise.all([prune(a), prune(b)]);
    expect({ i, left: (await live()).filter(Boolean).length }).toEqual({ i, left: 0 });
  }
});

test("adoption takes fields over from people and keeps what controllers set (no replace)", async () => {
  execFileSync("kubectl", [
    "--kubeconfig",
    cluster.cp.kubeconfigPath,
    "create",
    "configmap",
    "adoptee",
    "-n",
    "default",
    "--from-literal=a=b",
    "--from-literal=extra=1",
  ]);
  const parent = await cluster.kube.get<KubeObject>("/api/v1/namespaces/default/configmaps/mine");
  const path = "/api/v1/namespaces/default/configmaps/adoptee";
  // A controller adds a finalizer, a label, an annotation and an owner reference.
  await cluster.kube.mergePatch(
    path,
    {
      metadata: {
        finalizers: ["example.com/keep"],
        labels: { "controller.example.com/seen": "yes" },
        annotations: { "controller.example.com/note": "hello" },
        ownerReferences: [
          { apiVersion: "v1", kind: "ConfigMap", name: "mine", uid: parent.metadata?.uid },
        ],
      },
    },
    { fieldManager: "example-controller" },
  );
  const before = await cluster.kube.get<KubeObject>(path);
  const yaml = `
apiVersion: v1
kind: ConfigMap
metadata: { name: adoptee, namespace: default, labels: { team: web } }
data: { a: c }
`;
  const entries = await rm.apply(await objects(yaml), owner("vr-adopt"), { adoption: "Adopt" });
  expect(entries.map(e => `${e.action} ${e.subject}`)).toEqual([
    "configured ConfigMap/default/adoptee",
  ]);
  const after = await cluster.kube.get<KubeObject & { data: Record<string, string> }>(path);
  expect(after.metadata?.uid).toBe(before.metadata?.uid);
  // What the person created and the manifest lacks is gone; what the manifest says is there.
  expect(after.data).toEqual({ a: "c" });
  expect(after.metadata?.labels).toEqual({
    "controller.example.com/seen": "yes",
    team: "web",
    "managed-by": "vidra",
  });
  // What the controller set stays.
  expect(after.metadata?.finalizers).toEqual(["example.com/keep"]);
  expect(after.metadata?.annotations?.["controller.example.com/note"]).toBe("hello");
  expect(after.metadata?.ownerReferences?.map(r => r.name)).toEqual(["mine"]);
  const managers = after.metadata?.managedFields?.map(f => `${f.manager}/${f.operation}`);
  expect(managers).toContain("vidra-pepr/vr-adopt/Apply");
  expect(managers).toContain("example-controller/Update");
  expect(managers).not.toContain("kubectl-create/Update");
  // A re-apply writes nothing.
  writes.length = 0;
  const again = await rm.apply(await objects(yaml), owner("vr-adopt"), { adoption: "Adopt" });
  expect(again.map(e => e.action)).toEqual(["unchanged"]);
  expect(writes).toEqual([]);
  await cluster.kube.mergePatch(path, { metadata: { finalizers: null } });
});

const deployment = (name: string, replicas: number, app = name, annotations = "") => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: default${annotations ? `, annotations: { ${annotations} }` : ""} }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${app} } }
  template:
    metadata: { labels: { app: ${app} } }
    spec: { containers: [{ name: web, image: "nginx:1.27" }] }
`;

test("a field a controller owns is left to it; what a person changes is put back", async () => {
  const path = "/apis/apps/v1/namespaces/default/deployments/scaled";
  await rm.apply(await objects(deployment("scaled", 2)), owner("vr-hpa"), { adoption: "Refuse" });
  // An HPA scales through the scale subresource, as kube-controller-manager.
  await cluster.kube.mergePatch(
    `${path}/scale`,
    { spec: { replicas: 5 } },
    { fieldManager: "kube-controller-manager" },
  );
  await rm.apply(await objects(deployment("scaled", 2)), owner("vr-hpa"), { adoption: "Refuse" });
  const replicas = async () =>
    (await cluster.kube.get<KubeObject & { spec: { replicas: number } }>(path)).spec.replicas;
  expect(await replicas()).toBe(5);
  writes.length = 0;
  const again = await rm.apply(await objects(deployment("scaled", 2)), owner("vr-hpa"), {
    adoption: "Refuse",
  });
  expect(again.map(e => e.action)).toEqual(["unchanged"]);
  expect(writes).toEqual([]);
  // A person's edit of a field the manifest sets is drift: forced back.
  await cluster.kube.mergePatch(
    path,
    { spec: { template: { spec: { containers: [{ name: "web", image: "nginx:1.26" }] } } } },
    { fieldManager: "kubectl-edit" },
  );
  await rm.apply(await objects(deployment("scaled", 2)), owner("vr-hpa"), { adoption: "Refuse" });
  const d = await cluster.kube.get<
    KubeObject & { spec: { template: { spec: { containers: Array<{ image: string }> } } } }
  >(path);
  expect(d.spec.template.spec.containers[0].image).toBe("nginx:1.27");
  expect(await replicas()).toBe(5);
});

test("ssa: IfNotPresent creates once and never changes; ssa: Ignore on the live object leaves it alone", async () => {
  const cm = (name: string, value: string, annotations = "") =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}, namespace: default${annotations ? `, annotations: { ${annotations} }` : ""} }\ndata: { v: "${value}" }\n`;
  const once = cm("once", "1", '"infrahub.operators.com/ssa": IfNotPresent');
  expect(
    (await rm.apply(await objects(once), owner("vr-ssa"), { adoption: "Refuse" }))[0].action,
  ).toBe("created");
  await cluster.kube.mergePatch("/api/v1/namespaces/default/configmaps/once", {
    data: { v: "edited" },
  });
  const skipped = await rm.apply(
    await objects(cm("once", "2", '"infrahub.operators.com/ssa": IfNotPresent')),
    owner("vr-ssa"),
    { adoption: "Refuse" },
  );
  expect(skipped.map(e => e.action)).toEqual(["skipped"]);
  const read = async (n: string) =>
    (
      await cluster.kube.get<KubeObject & { data: { v: string } }>(
        `/api/v1/namespaces/default/configmaps/${n}`,
      )
    ).data.v;
  expect(await read("once")).toBe("edited");

  await rm.apply(await objects(cm("hands-off", "1")), owner("vr-ssa"), { adoption: "Refuse" });
  await cluster.kube.mergePatch("/api/v1/namespaces/default/configmaps/hands-off", {
    metadata: { annotations: { "infrahub.operators.com/ssa": "Ignore" } },
    data: { v: "mine now" },
  });
  const ignored = await rm.apply(await objects(cm("hands-off", "2")), owner("vr-ssa"), {
    adoption: "Refuse",
  });
  expect(ignored.map(e => e.action)).toEqual(["skipped"]);
  expect(await read("hands-off")).toBe("mine now");
  const ref = {
    apiVersion: "v1",
    group: "",
    version: "v1",
    kind: "ConfigMap",
    namespace: "default",
    name: "hands-off",
  };
  expect((await rm.prune([ref], owner("vr-ssa"), "delete"))[0].action).toBe("skipped");
  expect(await read("hands-off")).toBe("mine now");
});

test("an immutable field change is refused with a hint; with force: Enabled the object is recreated", async () => {
  const path = "/apis/apps/v1/namespaces/default/deployments/immutable";
  await rm.apply(await objects(deployment("immutable", 1, "one")), owner("vr-imm"), {
    adoption: "Refuse",
  });
  const before = await cluster.kube.get<KubeObject>(path);
  const err = await rm
    .apply(await objects(deployment("immutable", 1, "two")), owner("vr-imm"), {
      adoption: "Refuse",
    })
    .catch(e => e);
  expect(err).toBeInstanceOf(ApplyBlockedError);
  expect((err as Error).message).toMatch(/immutable.*infrahub\.operators\.com\/force: Enabled/);
  const entries = await rm.apply(
    await objects(deployment("immutable", 1, "two", '"infrahub.operators.com/force": Enabled')),
    owner("vr-imm"),
    { adoption: "Refuse" },
  );
  expect(entries.map(e => e.action)).toEqual(["configured"]);
  const after = await cluster.kube.get<
    KubeObject & { spec: { selector: { matchLabels: { app: string } } } }
  >(path);
  expect(after.metadata?.uid).not.toBe(before.metadata?.uid);
  expect(after.spec.selector.matchLabels.app).toBe("two");
});

test("objects in a namespace that is being deleted (403 NamespaceTerminating) are blocked as retryable, and apply once it is gone", async () => {
  // A finalizer on an object inside keeps the namespace Terminating until the test removes it.
  const kc = (args: string[], input?: string) =>
    execFileSync("kubectl", ["--kubeconfig", cluster.cp.kubeconfigPath, ...args], {
      input,
      encoding: "utf8",
    });
  const yaml = `
apiVersion: v1
kind: Namespace
metadata: { name: leaving }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: app, namespace: leaving }
data: { a: "1" }
`;
  await rm.apply(await objects(yaml), owner("vr-leaving"), { adoption: "Refuse" });
  kc(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "hold", namespace: "leaving", finalizers: ["test.vidra/hold"] },
    }),
  );
  kc(["delete", "namespace", "leaving", "--wait=false"]);
  // What a VidraResource sees when the sync that owned the namespace was just deleted.
  const deadline = Date.now() + 60_000;
  while (kc(["get", "configmap", "app", "-n", "leaving", "--ignore-not-found", "-o", "name"])) {
    if (Date.now() > deadline) throw new Error("configmap app was not deleted with its namespace");
    await new Promise(r => setTimeout(r, 250));
  }
  // A bundle with the Namespace itself waits for it to go (BeingDeletedError); one with only the
  // namespace's objects gets the API server's 403 NamespaceTerminating, which is as temporary.
  const appOnly = yaml.slice(yaml.indexOf("---"));
  const err = await rm
    .apply(await objects(appOnly), owner("vr-leaving"), { adoption: "Refuse" })
    .catch(e => e);
  expect(err).toBeInstanceOf(ApplyBlockedError);
  expect((err as ApplyBlockedError).reason).toBe("NamespaceTerminating");
  expect((err as ApplyBlockedError).retryable).toBe(true);

  kc([
    "patch",
    "configmap",
    "hold",
    "-n",
    "leaving",
    "--type=merge",
    "-p",
    '{"metadata":{"finalizers":null}}',
  ]);
  while (kc(["get", "namespaces", "-o", "name"]).includes("namespace/leaving")) {
    if (Date.now() > deadline) throw new Error("namespace leaving was not deleted");
    await new Promise(r => setTimeout(r, 250));
  }
  const applied = await rm.apply(await objects(yaml), owner("vr-leaving"), { adoption: "Refuse" });
  expect(applied.map(e => `${e.action} ${e.subject}`).sort()).toEqual([
    "created ConfigMap/leaving/app",
    "created Namespace/leaving",
  ]);
});
