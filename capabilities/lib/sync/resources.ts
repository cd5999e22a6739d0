import type { ManagedResource } from "../apply/inventory";
import type { ObjectMeta } from "../kube/client";
import type { Condition } from "../status/conditions";
import type { FenceSpec } from "../tenancy/fence";
import type { VidraState } from "../status/state";
import { GROUP, VERSION } from "./markers";

/**
 * The operator's view of its two kinds: what the reconcilers read and write, as plain string unions.
 * (The KFC-generated classes in ../generated are for Pepr's bindings; their enums are runtime
 * values tied to Pepr, which this library does not import.)
 */
export type { VidraState } from "../status/state";

export interface SecretRef {
  name: string;
  namespace: string;
  key?: string;
}

export interface DestinationSpec {
  server?: string;
  namespace?: string;
  reconcileOnEvents?: boolean;
  kubeconfigSecretRef?: SecretRef;
}

export interface ApplyPolicySpec {
  suspend?: boolean;
  reapplyInterval?: string;
  prune?: boolean;
  allowEmpty?: boolean;
  adoption?: "Refuse" | "Adopt";
  deletionPolicy?: "Delete" | "Orphan";
  serviceAccountName?: string;
  serviceAccountNamespace?: string;
  fence?: FenceSpec;
  /** Wait for the applied objects to become healthy (see ../apply/health.ts). */
  wait?: boolean;
  /** How long to wait for health, a Go duration; default DEFAULT_HEALTH_TIMEOUT. */
  timeout?: string;
}

export type HealthState = "Healthy" | "Progressing" | "Unhealthy";

export interface UnhealthyObject {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  status: string;
  message: string;
}

/** status.health of a VidraResource that waits for its objects; null removes it (merge patch). */
export interface HealthStatusField {
  status: HealthState;
  since: string;
  unhealthyCount: number;
  unhealthy: UnhealthyObject[];
}

export interface VidraResourceObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta & { name: string };
  spec?: ApplyPolicySpec & {
    destination?: DestinationSpec;
    manifest?: string;
    reconciledAt?: string;
    checksum?: string;
  };
  status?: {
    managedResources?: ManagedResource[];
    managedCount?: number;
    DeployState?: VidraState;
    lastError?: string;
    lastSyncTime?: string;
    conditions?: Condition[];
    observedGeneration?: number;
    appliedChecksum?: string;
    lastHandledSyncRequest?: string;
    /** Where the managed objects live ("" for the local cluster). */
    destinationServer?: string;
    nextReapplyTime?: string;
    conflicts?: string[];
    health?: HealthStatusField | null;
  };
}

export interface ArtifactStatus {
  id: string;
  name?: string;
  target?: string;
  targetId?: string;
  checksum?: string;
  storageId?: string;
  status?: string;
  vidraResource?: string;
  message?: string;
}

export interface InfrahubSyncObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta & { name: string };
  spec?: ApplyPolicySpec & {
    source: {
      infrahubAPIURL: string;
      targetBranch: string;
      targetDate?: string;
      artefactName: string;
      discovery?: "StoredQuery" | "GraphQL";
      queryName?: string;
      definitionName?: string;
      targetIds?: string[];
      credentialsSecretRef?: {
        name: string;
        namespace: string;
        usernameKey?: string;
        passwordKey?: string;
        tokenKey?: string;
      };
      tls?: { caSecretRef?: SecretRef; insecureSkipVerify?: boolean };
    };
    destination?: DestinationSpec;
    pollInterval?: string;
  };
  status?: {
    syncState?: VidraState;
    lastError?: string;
    lastSyncTime?: string;
    checksums?: string[];
    conditions?: Condition[];
    observedGeneration?: number;
    artifacts?: ArtifactStatus[];
    artifactCount?: number;
    nextSyncTime?: string;
    lastHandledSyncRequest?: string;
    lastSyncTrigger?: SyncTrigger;
    lastWebhook?: WebhookStatus;
  };
}

/** What made a sync fetch (status.lastSyncTrigger). */
export type SyncTrigger = "Webhook" | "Poll" | "SyncNow" | "Spec" | "Retry";

export interface WebhookStatus {
  eventId: string;
  event: string;
  artifactId: string;
  receivedAt: string;
  fetchedAt?: string;
  result?: "Changed" | "Unchanged" | "Failed";
  coalesced?: number;
}

export const VIDRA_RESOURCES_PATH = `/apis/${GROUP}/${VERSION}/vidraresources`;
export const INFRAHUB_SYNCS_PATH = `/apis/${GROUP}/${VERSION}/infrahubsyncs`;

export const vidraResourcePath = (name: string): string =>
  `${VIDRA_RESOURCES_PATH}/${encodeURIComponent(name)}`;
export const infrahubSyncPath = (name: string): string =>
  `${INFRAHUB_SYNCS_PATH}/${encodeURIComponent(name)}`;
