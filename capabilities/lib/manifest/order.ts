import type { ObjectRef } from "./types";

/** What ordering needs from an object's identity. */
export type OrderRef = Pick<ObjectRef, "group" | "kind" | "namespace" | "name">;

/**
 * Apply order, after Flux's `ssa.ReconcileOrder`: what others depend on comes first (CRDs and
 * Namespaces, then policy, classes, identities and RBAC, configuration, services and storage,
 * workloads, then what points at workloads), custom kinds after all built-ins, and admission webhooks
 * last so they cannot reject the objects applied alongside them. Keyed by group and kind so a custom
 * kind that happens to be called "Service" is not mistaken for the core one.
 */
type Row =
  | readonly [group: string, kinds: readonly string[]]
  | "other *Class kinds"
  | "custom kinds";

const ORDER: readonly Row[] = [
  ["apiextensions.k8s.io", ["CustomResourceDefinition"]],
  ["", ["Namespace"]],
  ["", ["ResourceQuota"]],
  ["", ["LimitRange"]],
  ["scheduling.k8s.io", ["PriorityClass"]],
  "other *Class kinds", // StorageClass, IngressClass, RuntimeClass, GatewayClass, ... in any group
  ["", ["ServiceAccount"]],
  ["rbac.authorization.k8s.io", ["ClusterRole"]],
  ["rbac.authorization.k8s.io", ["ClusterRoleBinding"]],
  ["rbac.authorization.k8s.io", ["Role"]],
  ["rbac.authorization.k8s.io", ["RoleBinding"]],
  ["", ["ConfigMap"]],
  ["", ["Secret"]],
  ["", ["Service"]],
  ["", ["PersistentVolume"]],
  ["", ["PersistentVolumeClaim"]],
  ["apps", ["Deployment", "StatefulSet", "DaemonSet"]],
  ["batch", ["Job", "CronJob"]],
  ["apps", ["ReplicaSet"]],
  ["", ["Pod"]],
  ["networking.k8s.io", ["Ingress"]],
  ["autoscaling", ["HorizontalPodAutoscaler"]],
  ["policy", ["PodDisruptionBudget"]],
  "custom kinds", // and built-ins not listed here
  [
    "admissionregistration.k8s.io",
    ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"],
  ],
];

/** Built once: `group/kind` → rank (ranks follow ORDER's rows; kinds in one row share a rank). */
const RANK = new Map<string, number>();
let classRank = 0;
let customRank = 0;
ORDER.forEach((row, rank) => {
  if (row === "other *Class kinds") classRank = rank;
  else if (row === "custom kinds") customRank = rank;
  else for (const kind of row[1]) RANK.set(`${row[0]}/${kind}`, rank);
});

/** The object's apply rank: lower goes first. Unknown kinds ending in "Class" rank with the classes. */
export function applyRank(ref: Pick<OrderRef, "group" | "kind">): number {
  return (
    RANK.get(`${ref.group}/${ref.kind}`) ?? (ref.kind.endsWith("Class") ? classRank : customRank)
  );
}

/** Apply order; ties broken by group, kind, namespace, name (plain code-unit order, locale-free). */
export function compareForApply(a: OrderRef, b: OrderRef): number {
  return (
    applyRank(a) - applyRank(b) ||
    cmp(a.group, b.group) ||
    cmp(a.kind, b.kind) ||
    cmp(a.namespace ?? "", b.namespace ?? "") ||
    cmp(a.name, b.name)
  );
}

/** A sorted copy in apply order. */
export function sortForApply<T extends { ref: OrderRef }>(objs: readonly T[]): T[] {
  return [...objs].sort((a, b) => compareForApply(a.ref, b.ref));
}

/** A sorted copy in delete order: the reverse of apply order (webhooks first, Namespaces and CRDs last). */
export function sortForDelete<T extends { ref: OrderRef }>(objs: readonly T[]): T[] {
  return sortForApply(objs).reverse();
}

/** True for what must exist before anything else can be applied: CRDs and Namespaces. */
export function isFoundation(ref: Pick<OrderRef, "group" | "kind">): boolean {
  return (
    (ref.group === "apiextensions.k8s.io" && ref.kind === "CustomResourceDefinition") ||
    (ref.group === "" && ref.kind === "Namespace")
  );
}

/**
 * Two stages, each in apply order: [CRDs and Namespaces, everything else]. The apply manager applies
 * the first, waits for the CRDs to be Established, then applies the second. Both are always present.
 */
export function stagesForApply<T extends { ref: OrderRef }>(objs: readonly T[]): [T[], T[]] {
  const sorted = sortForApply(objs);
  return [sorted.filter(o => isFoundation(o.ref)), sorted.filter(o => !isFoundation(o.ref))];
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
