import { refKey, splitApiVersion } from "../manifest/ref";
import type { ObjectRef } from "../manifest/types";

/** Vidra's status.managedResources entry. */
export interface ManagedResource {
  apiVersion?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

export function toManagedResources(refs: readonly ObjectRef[]): ManagedResource[] {
  return refs.map(r => ({
    apiVersion: r.apiVersion,
    kind: r.kind,
    name: r.name,
    ...(r.namespace ? { namespace: r.namespace } : {}),
  }));
}

/** Entries Vidra wrote without apiVersion/kind cannot be acted on and are dropped. */
export function fromManagedResources(list: readonly ManagedResource[] | undefined): ObjectRef[] {
  return (list ?? []).flatMap(m => {
    if (!m.apiVersion || !m.kind || !m.name) return [];
    const { group, version } = splitApiVersion(m.apiVersion);
    return [
      {
        apiVersion: m.apiVersion,
        group,
        version,
        kind: m.kind,
        name: m.name,
        ...(m.namespace ? { namespace: m.namespace } : {}),
      },
    ];
  });
}

/** Objects of `previous` that `next` no longer has (compared by group, kind, namespace, name). */
export function removedFrom(
  previous: readonly ObjectRef[],
  next: readonly ObjectRef[],
): ObjectRef[] {
  const keep = new Set(next.map(refKey));
  return previous.filter(r => !keep.has(refKey(r)));
}
