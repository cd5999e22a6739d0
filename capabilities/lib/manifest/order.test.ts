import { applyRank, sortForApply, sortForDelete, stagesForApply } from "./order";

type Item = { ref: { group: string; kind: string; namespace?: string; name: string } };
const item = (group: string, kind: string, name = "x", namespace?: string): Item => ({
  ref: { group, kind, name, namespace },
});
const kinds = (items: Item[]): string[] =>
  items.map(i => `${i.ref.kind}/${i.ref.namespace ?? ""}/${i.ref.name}`);

const BUILT_INS: Item[] = [
  item("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
  item("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
  item("example.com", "Widget"),
  item("policy", "PodDisruptionBudget"),
  item("autoscaling", "HorizontalPodAutoscaler"),
  item("networking.k8s.io", "Ingress"),
  item("", "Pod"),
  item("apps", "ReplicaSet"),
  item("batch", "CronJob"),
  item("batch", "Job"),
  item("apps", "DaemonSet"),
  item("apps", "StatefulSet"),
  item("apps", "Deployment"),
  item("", "PersistentVolumeClaim"),
  item("", "PersistentVolume"),
  item("", "Service"),
  item("", "Secret"),
  item("", "ConfigMap"),
  item("rbac.authorization.k8s.io", "RoleBinding"),
  item("rbac.authorization.k8s.io", "Role"),
  item("rbac.authorization.k8s.io", "ClusterRoleBinding"),
  item("rbac.authorization.k8s.io", "ClusterRole"),
  item("", "ServiceAccount"),
  item("storage.k8s.io", "StorageClass"),
  item("scheduling.k8s.io", "PriorityClass"),
  item("", "LimitRange"),
  item("", "ResourceQuota"),
  item("", "Namespace"),
  item("apiextensions.k8s.io", "CustomResourceDefinition"),
];

describe("sortForApply", () => {
  it("orders kinds like Flux: CRDs and Namespaces first, custom kinds late, webhooks last", () => {
    expect(sortForApply(BUILT_INS).map(i => i.ref.kind)).toEqual([
      "CustomResourceDefinition",
      "Namespace",
      "ResourceQuota",
      "LimitRange",
      "PriorityClass",
      "StorageClass",
      "ServiceAccount",
      "ClusterRole",
      "ClusterRoleBinding",
      "Role",
      "RoleBinding",
      "ConfigMap",
      "Secret",
      "Service",
      "PersistentVolume",
      "PersistentVolumeClaim",
      "DaemonSet",
      "Deployment",
      "StatefulSet",
      "CronJob",
      "Job",
      "ReplicaSet",
      "Pod",
      "Ingress",
      "HorizontalPodAutoscaler",
      "PodDisruptionBudget",
      "Widget",
      "MutatingWebhookConfiguration",
      "ValidatingWebhookConfiguration",
    ]);
  });

  it("ranks every *Class kind with the classes, and kinds by group as well as name", () => {
    expect(applyRank({ group: "gateway.networking.k8s.io", kind: "GatewayClass" })).toBe(
      applyRank({ group: "networking.k8s.io", kind: "IngressClass" }),
    );
    expect(applyRank({ group: "serving.knative.dev", kind: "Service" })).toBe(
      applyRank({ group: "example.com", kind: "Widget" }),
    );
    expect(applyRank({ group: "", kind: "Service" })).toBeLessThan(
      applyRank({ group: "serving.knative.dev", kind: "Service" }),
    );
  });

  it("breaks ties by group, kind, namespace and name, independent of input order", () => {
    const items = [
      item("b.example.com", "Widget", "a", "ns1"),
      item("a.example.com", "Widget", "z", "ns1"),
      item("a.example.com", "Gadget", "a", "ns2"),
      item("", "ConfigMap", "b", "ns1"),
      item("", "ConfigMap", "a", "ns2"),
      item("", "ConfigMap", "c", "ns1"),
      item("", "ConfigMap", "B", "ns1"),
    ];
    const expected = [
      "ConfigMap/ns1/B",
      "ConfigMap/ns1/b",
      "ConfigMap/ns1/c",
      "ConfigMap/ns2/a",
      "Gadget/ns2/a",
      "Widget/ns1/z",
      "Widget/ns1/a",
    ];
    expect(kinds(sortForApply(items))).toEqual(expected);
    expect(kinds(sortForApply([...items].reverse()))).toEqual(expected);
  });

  it("returns a copy and leaves the input alone", () => {
    const items = [item("", "Secret"), item("", "Namespace")];
    const sorted = sortForApply(items);
    expect(sorted).not.toBe(items);
    expect(items.map(i => i.ref.kind)).toEqual(["Secret", "Namespace"]);
  });
});

describe("sortForDelete", () => {
  it("is exactly the reverse of apply order", () => {
    expect(sortForDelete(BUILT_INS)).toEqual(sortForApply(BUILT_INS).reverse());
    expect(sortForDelete(BUILT_INS)[0].ref.kind).toBe("ValidatingWebhookConfiguration");
  });
});

describe("stagesForApply", () => {
  it("puts CRDs and core Namespaces in the first stage, each stage in apply order", () => {
    const [first, second] = stagesForApply([
      item("apps", "Deployment", "web", "team-a"),
      item("example.com", "Namespace", "not-core"),
      item("", "Namespace", "team-a"),
      item("apiextensions.k8s.io", "CustomResourceDefinition", "widgets.example.com"),
      item("example.com", "Widget", "w", "team-a"),
    ]);
    expect(kinds(first)).toEqual([
      "CustomResourceDefinition//widgets.example.com",
      "Namespace//team-a",
    ]);
    expect(kinds(second)).toEqual([
      "Deployment/team-a/web",
      "Namespace//not-core",
      "Widget/team-a/w",
    ]);
  });

  it("always returns two stages", () => {
    expect(stagesForApply([])).toEqual([[], []]);
  });
});
