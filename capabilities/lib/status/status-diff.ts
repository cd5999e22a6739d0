import { isDeepStrictEqual } from "node:util";

/**
 * Whether writing `patch` would change `current`. Key order is ignored (the API server stores
 * objects with sorted keys) and an absent field equals null, so a reconcile that computes the same
 * status as before writes nothing.
 */
export function statusDiffers(current: object | undefined, patch: object): boolean {
  const before = (current ?? {}) as Record<string, unknown>;
  return Object.entries(patch).some(([k, v]) => !isDeepStrictEqual(JSON.parse(JSON.stringify(before[k] ?? null)), JSON.parse(JSON.stringify(v ?? null))));
}
