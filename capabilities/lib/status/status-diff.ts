import { isDeepStrictEqual } from "node:util";
import type { KubeClient } from "../kube/client";
import { KubeApiError } from "../kube/errors";

const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v ?? null));

/**
 * Whether writing `patch` would change `current`. Key order is ignored (the API server stores
 * objects with sorted keys) and an absent field equals null, so a reconcile that computes the same
 * status as before writes nothing.
 */
export function statusDiffers(current: object | undefined, patch: object): boolean {
  const before = (current ?? {}) as Record<string, unknown>;
  return Object.entries(patch).some(([k, v]) => !isDeepStrictEqual(plain(before[k]), plain(v)));
}

/**
 * Merge-patches `patch` into the object's status when it changes anything, and mirrors it into
 * `obj.status` so later steps of the same reconcile compare against what was written. An object
 * deleted meanwhile is not an error.
 */
export async function patchStatusIfChanged<S extends object>(
  kube: KubeClient,
  objectPath: string,
  obj: { status?: S },
  patch: Partial<S>,
): Promise<void> {
  if (!statusDiffers(obj.status, patch)) return;
  try {
    await kube.mergePatch(`${objectPath}/status`, { status: patch });
    obj.status = { ...(obj.status ?? {}), ...patch } as S;
  } catch (err) {
    if (err instanceof KubeApiError && err.notFound) return;
    throw err;
  }
}
