import type { KubeClient, KubeObject } from "../kube/client";
import { KubeApiError } from "../kube/errors";
import { OPERATOR_FIELD_MANAGER, OWNED_BY_ANNOTATION } from "../sync/markers";
import { derivedOwnersList } from "./ownership";

const LIST_FIELD = `f:${OWNED_BY_ANNOTATION}`;

/**
 * Whether `fieldManager`'s own apply carries the owned-by list: on an object it creates (nobody
 * else marks it yet), and on one whose list only its apply set so far. A bundle of new objects then
 * needs one write per object instead of an apply and a list patch each. Once another owner joins,
 * the operator's list patch (an update, which takes a changed field over from every other manager)
 * moves the list to the operator's own manager, and this owner's applies leave it out again; left
 * out while this owner still held it, the apply would delete it.
 */
export function carriesOwnersList(live: KubeObject | undefined, fieldManager: string): boolean {
  if (!live) return true;
  return !!live.metadata?.managedFields?.some(f => {
    if (f.manager !== fieldManager || f.operation !== "Apply" || f.subresource) return false;
    const meta = (
      f.fieldsV1 as Record<string, Record<string, Record<string, unknown>>> | undefined
    )?.["f:metadata"];
    return !!meta?.["f:annotations"]?.[LIST_FIELD];
  });
}

/**
 * `payload` (already marked by its owner) with the owned-by list the marks give once it is applied:
 * the live object's marks and the payload's own.
 */
export function withOwnersList(payload: KubeObject, live: KubeObject | undefined): KubeObject {
  const annotations = { ...live?.metadata?.annotations, ...payload.metadata?.annotations };
  const list = derivedOwnersList({ annotations });
  if (!list) return payload;
  return {
    ...payload,
    metadata: {
      ...payload.metadata,
      annotations: { ...payload.metadata?.annotations, [OWNED_BY_ANNOTATION]: list },
    },
  };
}

/** `payload` without the owned-by list, or undefined when it carries none. */
export function withoutOwnersList(payload: KubeObject): KubeObject | undefined {
  const annotations = payload.metadata?.annotations;
  if (!annotations || !(OWNED_BY_ANNOTATION in annotations)) return undefined;
  const { [OWNED_BY_ANNOTATION]: _list, ...rest } = annotations;
  return { ...payload, metadata: { ...payload.metadata, annotations: rest } };
}

/**
 * Brings Vidra's owned-by list in line with the owners' marks (for Vidra's tools and for people;
 * decisions read the marks). Each write is conditional on the resourceVersion it was computed
 * from, and the value is a function of the marks at that version, so writers racing each other
 * end with the list the marks say. Returns the object after the last write (undefined: gone).
 */
export async function syncOwnersList(
  kube: KubeClient,
  path: string,
  obj: KubeObject,
): Promise<KubeObject | undefined> {
  let current: KubeObject | undefined = obj;
  for (let attempt = 1; current; attempt++) {
    const want = derivedOwnersList(current.metadata);
    if (want === current.metadata?.annotations?.[OWNED_BY_ANNOTATION]) return current;
    try {
      return await kube.mergePatch<KubeObject>(
        path,
        {
          metadata: {
            resourceVersion: current.metadata?.resourceVersion,
            annotations: { [OWNED_BY_ANNOTATION]: want ?? null },
          },
        },
        { fieldManager: OPERATOR_FIELD_MANAGER },
      );
    } catch (err) {
      if (!(err instanceof KubeApiError && (err.conflict || err.notFound)) || attempt >= 10)
        throw err;
      current = await kube.getOptional<KubeObject>(path);
    }
  }
  return undefined;
}
