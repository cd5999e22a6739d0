import type { KubeClient } from "../kube/client";
import { SUSPENDED_BY_SYNC_ANNOTATION } from "./markers";
import { vidraResourcePath, type VidraResourceObject } from "./resources";

/**
 * Suspending an InfrahubSync suspends its VidraResources: no fetch (the sync), and no apply, prune,
 * drift repair or health check (each VidraResource) until the sync is resumed. The sync marks the
 * ones it suspends, so resuming lifts only those: a VidraResource a person suspended stays so.
 * Each write is conditional on the resourceVersion read, so a concurrent edit is never overwritten
 * (the conflict fails the pass, which is retried).
 */
export async function suspendWithSync(
  kube: KubeClient,
  syncName: string,
  resources: VidraResourceObject[],
): Promise<number> {
  let suspended = 0;
  for (const vr of resources) {
    if (vr.spec?.suspend) continue;
    await kube.mergePatch(vidraResourcePath(vr.metadata.name), {
      metadata: {
        resourceVersion: vr.metadata.resourceVersion,
        annotations: { [SUSPENDED_BY_SYNC_ANNOTATION]: syncName },
      },
      spec: { suspend: true },
    });
    suspended++;
  }
  return suspended;
}

/** Lifts the suspensions suspendWithSync set; returns how many. */
export async function resumeWithSync(
  kube: KubeClient,
  resources: VidraResourceObject[],
): Promise<number> {
  let resumed = 0;
  for (const vr of resources) {
    if (!vr.metadata.annotations?.[SUSPENDED_BY_SYNC_ANNOTATION]) continue;
    await kube.mergePatch(vidraResourcePath(vr.metadata.name), {
      metadata: {
        resourceVersion: vr.metadata.resourceVersion,
        annotations: { [SUSPENDED_BY_SYNC_ANNOTATION]: null },
      },
      spec: { suspend: false },
    });
    resumed++;
  }
  return resumed;
}
