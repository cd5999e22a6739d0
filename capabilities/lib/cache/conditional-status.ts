import { OperatorError } from "../errors";
import type { KubeClient } from "../kube/client";
import { KubeApiError } from "../kube/errors";
import { statusDiffers } from "../status/status-diff";
import type { Cacheable, ObjectCache } from "./object-cache";

/**
 * A write made from a cached object that the API server refused because the object had changed
 * since: the cache entry is dropped, so the retry (with the queue's backoff) reads it live.
 */
export class StaleReadError extends OperatorError {
  constructor(what: string, cause: unknown) {
    super(`${what} changed since it was read; reading it again`, {
      reason: "StaleRead",
      retryable: true,
      cause,
    });
  }
}

/**
 * Merge-patches `patch` into a cached object's status when it changes anything, on condition that
 * the object is still at the resourceVersion it was read at: a status computed from a stale cache
 * is refused (409) instead of overwriting a newer one. The answer goes back into the cache and
 * into `obj` (status and resourceVersion), so the next write of the same reconcile is conditioned
 * on what this one wrote. An object deleted meanwhile is not an error.
 */
export async function patchCachedStatus<
  T extends Cacheable & { metadata: { name: string }; status?: object },
>(
  kube: KubeClient,
  objectPath: string,
  obj: T,
  patch: Partial<NonNullable<T["status"]>>,
  cache: ObjectCache<T> | undefined,
): Promise<void> {
  if (!statusDiffers(obj.status, patch)) return;
  const readVersion = obj.metadata.resourceVersion;
  try {
    const answer = await kube.mergePatch<T>(`${objectPath}/status`, {
      ...(readVersion ? { metadata: { resourceVersion: readVersion } } : {}),
      status: patch,
    });
    obj.status = { ...(obj.status ?? {}), ...patch };
    obj.metadata.resourceVersion = answer.metadata?.resourceVersion;
    cache?.written(answer, readVersion);
  } catch (err) {
    if (err instanceof KubeApiError && err.notFound) return;
    if (err instanceof KubeApiError && err.conflict) {
      cache?.forget(obj.metadata.name, obj.metadata.namespace);
      throw new StaleReadError(`${obj.kind ?? "object"} ${obj.metadata.name}`, err);
    }
    throw err;
  }
}
