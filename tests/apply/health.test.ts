/**
 * The health verb against real controllers: a local cluster with KWOK (pods run and become ready,
 * or fail on request), objects applied through the ResourceManager, health read back.
 */
import { ResourceManager } from "../../capabilities/lib/apply/resource-manager";
import type { ObjectHealth } from "../../capabilities/lib/apply/health";
import { ResourceMapper } from "../../capabilities/lib/kube/discovery";
import { parseManifest } from "../../capabilities/lib/manifest/parse";
import { validateObjects } from "../../capabilities/lib/manifest/validate";
import type { NormalizedObject, ObjectRef } from "../../capabilities/lib/manifest/types";
import { ownerFieldManager } from "../../capabilities/lib/sync/markers";
import { eventually, startTestCluster, type TestCluster } from "../support/cluster";

let cluster: TestCluster;
let mapper: ResourceMapper;
let rm: ResourceManager;

beforeAll(async () => {
  cluster = await startTestCluster({ name: "health", workloads: true });
  mapper = new ResourceMapper(cluster.kube);
  rm = new ResourceManager(cluster.kube, mapper);
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
});

const owner = { name: "health", fieldManager: ownerFieldManager("health") };

async function apply(yaml: string): Promise<ObjectRef[]> {
  const parsed = parseManifest(yaml);
  const objects: NormalizedObject[] = validateObjects(parsed, {
    defaultNamespace: "default",
    scopeOf: (_av, k) => (k === "Namespace" ? "Cluster" : "Namespaced"),
  }).objects;
  await rm.as(owner).adopting("Adopt").apply(objects);
  return objects.map(o => o.ref);
}

function deployment(name: string, podAnnotations: Record<string, string> = {}): string {
  return JSON.stringify({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "default" },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: podAnnotations },
        spec: { containers: [{ name: "web", image: "nginx:1.27" }] },
      },
    },
  });
}

const one = async (refs: ObjectRef[], until: (h: ObjectHealth) => boolean): Promise<ObjectHealth> =>
  eventually(
    async () => {
      const [h] = await rm.health(refs);
      return until(h) ? h : undefined;
    },
    { what: `health of ${refs[0].name}`, timeoutMs: 60_000 },
  );

test("a Deployment is InProgress while it rolls out, then Current", async () => {
  const refs = await apply(deployment("good"));
  const [first] = await rm.health(refs);
  expect(["InProgress", "Current"]).toContain(first.status);
  const h = await one(refs, h => h.status === "Current");
  expect(h).toMatchObject({ subject: "Deployment/default/good", message: "2/2 available" });
});

test("a Deployment whose pods never start says why", async () => {
  const refs = await apply(
    deployment("stuck", { "kwok.vidra-pepr.dev/waiting-reason": "ImagePullBackOff" }),
  );
  // Until the controller has seen the latest generation, that is what health says (also with the
  // pods' reason): wait for the verdict on the rolled-out spec.
  const h = await one(refs, h => h.message.endsWith("available: ImagePullBackOff"));
  expect(h).toEqual({
    ref: refs[0],
    subject: "Deployment/default/stuck",
    status: "InProgress",
    message: "0/2 available: ImagePullBackOff",
  });
});

test("a failed Job is Failed, with its pod's exit code", async () => {
  const refs = await apply(
    JSON.stringify({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "broken", namespace: "default" },
      spec: {
        backoffLimit: 0,
        template: {
          metadata: { annotations: { "kwok.vidra-pepr.dev/exit-code": "2" } },
          spec: { restartPolicy: "Never", containers: [{ name: "task", image: "busybox" }] },
        },
      },
    }),
  );
  const h = await one(refs, h => h.status === "Failed");
  expect(h.message).toMatch(/^failed: BackoffLimitExceeded: .*: Error \(exit code 2\)$/);
});

test("objects without status conventions are Current; a deleted one is NotFound", async () => {
  const refs = await apply(
    JSON.stringify({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "settings", namespace: "default" },
      data: { a: "1" },
    }),
  );
  expect((await rm.health(refs))[0].status).toBe("Current");
  await cluster.kube.delete("/api/v1/namespaces/default/configmaps/settings");
  expect((await rm.health(refs))[0]).toMatchObject({ status: "NotFound", message: "not found" });
});
