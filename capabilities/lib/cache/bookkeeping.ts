import type { Cacheable } from "./object-cache";

/** kubectl's client-side apply copies the whole object it applied into this annotation. */
export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";

type WithBookkeeping = Cacheable & {
  metadata?: Cacheable["metadata"] & {
    managedFields?: unknown;
    annotations?: Record<string, string>;
  };
};

/**
 * An object without what the API server and kubectl keep about its writers: `managedFields` (one
 * entry per writer, each a copy of the field paths it set) and the last-applied annotation (a copy
 * of the object). Nothing the operator does with a cached object reads them, and at thousands of
 * syncs they are a large share of what a cache holds. The object passed in is not changed.
 */
export function withoutBookkeeping<T extends Cacheable>(obj: T): T {
  const meta = (obj as WithBookkeeping).metadata;
  if (!meta) return obj;
  const hasLastApplied = meta.annotations?.[LAST_APPLIED_ANNOTATION] !== undefined;
  if (meta.managedFields === undefined && !hasLastApplied) return obj;
  const { managedFields: _mf, annotations, ...rest } = meta;
  let kept = annotations;
  if (hasLastApplied) {
    const { [LAST_APPLIED_ANNOTATION]: _la, ...others } = annotations ?? {};
    kept = Object.keys(others).length ? others : undefined;
  }
  return { ...obj, metadata: { ...rest, ...(kept ? { annotations: kept } : {}) } };
}
