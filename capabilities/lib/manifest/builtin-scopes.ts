import { splitApiVersion } from "./ref";
import type { ResourceScope } from "./types";

/**
 * Built-in kinds whose scope is fixed by Kubernetes itself (any version), so a check without a
 * cluster (admission) can place them. Kinds not listed here (custom resources) are placed only
 * by the destination's discovery, at apply time.
 */
const CLUSTER: Record<string, string[]> = {
  "": ["Namespace", "Node", "PersistentVolume", "ComponentStatus"],
  "rbac.authorization.k8s.io": ["ClusterRole", "ClusterRoleBinding"],
  "apiextensions.k8s.io": ["CustomResourceDefinition"],
  "apiregistration.k8s.io": ["APIService"],
  "admissionregistration.k8s.io": [
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
  ],
  "storage.k8s.io": ["StorageClass", "VolumeAttachment", "CSIDriver", "CSINode"],
  "scheduling.k8s.io": ["PriorityClass"],
  "node.k8s.io": ["RuntimeClass"],
  "networking.k8s.io": ["IngressClass", "IPAddress", "ServiceCIDR"],
  "certificates.k8s.io": ["CertificateSigningRequest", "ClusterTrustBundle"],
  "flowcontrol.apiserver.k8s.io": ["FlowSchema", "PriorityLevelConfiguration"],
};

const NAMESPACED: Record<string, string[]> = {
  "": [
    "ConfigMap",
    "Secret",
    "Service",
    "ServiceAccount",
    "Pod",
    "PersistentVolumeClaim",
    "Endpoints",
    "LimitRange",
    "ResourceQuota",
    "ReplicationController",
    "PodTemplate",
    "Event",
  ],
  apps: ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision"],
  batch: ["Job", "CronJob"],
  autoscaling: ["HorizontalPodAutoscaler"],
  policy: ["PodDisruptionBudget"],
  "networking.k8s.io": ["Ingress", "NetworkPolicy"],
  "rbac.authorization.k8s.io": ["Role", "RoleBinding"],
  "coordination.k8s.io": ["Lease"],
  "discovery.k8s.io": ["EndpointSlice"],
  "events.k8s.io": ["Event"],
  "storage.k8s.io": ["CSIStorageCapacity"],
};

export function builtinScope(apiVersion: string, kind: string): ResourceScope | undefined {
  const { group } = splitApiVersion(apiVersion);
  if (CLUSTER[group]?.includes(kind)) return "Cluster";
  if (NAMESPACED[group]?.includes(kind)) return "Namespaced";
  return undefined;
}
