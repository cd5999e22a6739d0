import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import type { InfrahubArtifact } from "../infrahub";
import type { KubeClient } from "../kube/client";
import {
  API_VERSION,
  ARTIFACT_ANNOTATION,
  SYNC_LABEL,
  TARGET_ANNOTATION,
  VIDRA_RESOURCE_FINALIZER,
} from "./markers";
import { SHARD_LABEL } from "../shard/shard";
import { vidraResourcePath, type InfrahubSyncObject, type VidraResourceObject } from "./resources";

/** On VidraResources made by a sync: the artifact id (the name may differ when two syncs share one artifact). */
export const ARTIFACT_ID_ANNOTATION = `${ARTIFACT_ANNOTATION}-id`;

/** The artifact a VidraResource of a sync holds. */
export function artifactIdOf(vr: VidraResourceObject): string {
  return vr.metadata.annotations?.[ARTIFACT_ID_ANNOTATION] ?? vr.metadata.name;
}

/**
 * The policy fields a sync hands down, defaulted as the API server defaults them, so a stored
 * VidraResource and a freshly computed one compare equal when nothing changed. `suspend` is not
 * one of them: the sync never writes it with the rest (a person may suspend one VidraResource, and
 * the sync must not undo that); suspending the sync suspends its VidraResources on its own
 * (./suspension.ts).
 */
export function policyOf(
  s: Partial<NonNullable<VidraResourceObject["spec"]>>,
): Record<string, unknown> {
  const d = s.destination ?? {};
  return {
    destination: {
      ...(d.server ? { server: d.server } : {}),
      ...(d.namespace ? { namespace: d.namespace } : {}),
      reconcileOnEvents: d.reconcileOnEvents ?? false,
      ...(d.kubeconfigSecretRef ? { kubeconfigSecretRef: d.kubeconfigSecretRef } : {}),
    },
    prune: s.prune ?? true,
    allowEmpty: s.allowEmpty ?? false,
    adoption: s.adoption ?? "Refuse",
    deletionPolicy: s.deletionPolicy ?? "Delete",
    ...(s.reapplyInterval ? { reapplyInterval: s.reapplyInterval } : {}),
    ...(s.serviceAccountName ? { serviceAccountName: s.serviceAccountName } : {}),
    ...(s.serviceAccountNamespace ? { serviceAccountNamespace: s.serviceAccountNamespace } : {}),
    ...(s.fence ? { fence: s.fence } : {}),
    wait: s.wait ?? false,
    ...(s.timeout ? { timeout: s.timeout } : {}),
  };
}

/** The VidraResource spec (without manifest and suspend) a sync asks for. */
export function desiredPolicy(sync: InfrahubSyncObject): Record<string, unknown> {
  return policyOf(sync.spec ?? {});
}

/** The shard key a sync hands down to its VidraResources (none when it has none). */
function shardKeyOf(meta: { labels?: Record<string, string> } | undefined): string | undefined {
  return meta?.labels?.[SHARD_LABEL] || undefined;
}

/**
 * True when the VidraResource holds this checksum under the sync's current policy and in the
 * sync's shard (a sync moved to another shard moves its VidraResources with its next fetch).
 */
export function holds(
  vr: VidraResourceObject | undefined,
  checksum: string | null,
  sync: InfrahubSyncObject,
): boolean {
  return (
    !!vr &&
    !!checksum &&
    vr.spec?.checksum === checksum &&
    shardKeyOf(vr.metadata) === shardKeyOf(sync.metadata) &&
    isDeepStrictEqual(policyOf(vr.spec ?? {}), desiredPolicy(sync))
  );
}

/** The VidraResource a sync stores an artifact in (applied with server-side apply). */
export function vidraResourceFor(
  sync: InfrahubSyncObject,
  artifact: InfrahubArtifact,
  name: string,
  manifest: string,
  checksum: string,
): VidraResourceObject & { apiVersion: string; kind: string } {
  return {
    apiVersion: API_VERSION,
    kind: "VidraResource",
    metadata: {
      name,
      labels: {
        [SYNC_LABEL]: sync.metadata.name,
        ...(shardKeyOf(sync.metadata) ? { [SHARD_LABEL]: shardKeyOf(sync.metadata)! } : {}),
      },
      annotations: {
        [ARTIFACT_ID_ANNOTATION]: artifact.id,
        ...(artifact.name ? { [ARTIFACT_ANNOTATION]: artifact.name } : {}),
        ...(artifact.targetLabel ? { [TARGET_ANNOTATION]: artifact.targetLabel } : {}),
      },
      finalizers: [VIDRA_RESOURCE_FINALIZER],
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: "InfrahubSync",
          name: sync.metadata.name,
          uid: sync.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { ...desiredPolicy(sync), manifest, checksum },
  };
}

/**
 * Vidra names a VidraResource after its artifact id. Two syncs reading the same artifact (say on
 * two branches) would collide, so the second gets a suffix derived from its own uid.
 */
export async function collisionFreeName(
  kube: KubeClient,
  artifactId: string,
  sync: InfrahubSyncObject,
): Promise<string> {
  const taken = await kube.getOptional<VidraResourceObject>(vidraResourcePath(artifactId));
  if (!taken || taken.metadata.ownerReferences?.some(o => o.uid === sync.metadata.uid))
    return artifactId;
  const suffix = createHash("sha256")
    .update(sync.metadata.uid ?? sync.metadata.name)
    .digest("hex")
    .slice(0, 8);
  return `${artifactId}-${suffix}`;
}
