import type { KubeClient, KubeObject } from "../kube/client";
import { KubeApiError } from "../kube/errors";
import { OPERATOR_FIELD_MANAGER, OWNED_BY_ANNOTATION } from "../sync/markers";
import { derivedOwnersList } from "./ownership";

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
