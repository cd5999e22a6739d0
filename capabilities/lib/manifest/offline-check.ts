import { dns1123LabelProblem } from "./k8s-names";
import type { ParsedObject, ResourceScope } from "./types";
import { splitApiVersion } from "./ref";
import { validateObjects, type ValidationResult } from "./validate";

/**
 * Kubernetes' own cluster-scoped kinds, by `group/Kind`. Without a cluster to ask, everything else
 * is taken as namespaced; a wrong guess there only changes how an object is named in a message,
 * and the reconciler, which asks the destination, has the last word.
 */
const BUILT_IN_CLUSTER_SCOPED = new Set([
  "/Namespace",
  "/Node",
  "/PersistentVolume",
  "/ComponentStatus",
  "admissionregistration.k8s.io/MutatingWebhookConfiguration",
  "admissionregistration.k8s.io/ValidatingWebhookConfiguration",
  "admissionregistration.k8s.io/ValidatingAdmissionPolicy",
  "admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding",
  "apiextensions.k8s.io/CustomResourceDefinition",
  "apiregistration.k8s.io/APIService",
  "certificates.k8s.io/CertificateSigningRequest",
  "flowcontrol.apiserver.k8s.io/FlowSchema",
  "flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration",
  "networking.k8s.io/IngressClass",
  "node.k8s.io/RuntimeClass",
  "rbac.authorization.k8s.io/ClusterRole",
  "rbac.authorization.k8s.io/ClusterRoleBinding",
  "scheduling.k8s.io/PriorityClass",
  "storage.k8s.io/CSIDriver",
  "storage.k8s.io/CSINode",
  "storage.k8s.io/StorageClass",
  "storage.k8s.io/VolumeAttachment",
]);

export function assumedScope(apiVersion: string, kind: string): ResourceScope {
  const { group } = splitApiVersion(apiVersion);
  return BUILT_IN_CLUSTER_SCOPED.has(`${group}/${kind}`) ? "Cluster" : "Namespaced";
}

/**
 * The checks that need no cluster (names, labels, duplicates...), with objects placed where they
 * would go: namespaced ones without a namespace in `defaultNamespace` (the destination's), so
 * "defined twice" names the namespace the reconciler would use. Admission runs this, and so does
 * the sync before it writes a VidraResource that admission would refuse.
 * @throws ManifestError listing every problem
 */
export function checkWithoutCluster(
  objects: ParsedObject[],
  defaultNamespace: string | undefined,
): ValidationResult {
  // An invalid destination namespace is the destination's problem (reported on its own field).
  const usable = defaultNamespace && !dns1123LabelProblem(defaultNamespace);
  return validateObjects(objects, {
    defaultNamespace: usable ? defaultNamespace : "default",
    scopeOf: assumedScope,
  });
}
