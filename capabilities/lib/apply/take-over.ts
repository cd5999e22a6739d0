import type { KubeObject } from "../kube/client";
import { KubeApiError } from "../kube/errors";
import { OPERATOR_FIELD_MANAGER } from "../sync/markers";
import type { Engine } from "./engine";
import { takeOverManagedFields } from "./field-managers";
import { ownerRefsWithoutVidra } from "./ownership";

/** Whether an apply must first take fields over or strip owner references (see takeOver). */
export function needsTakeOver(live: KubeObject, fieldManager: string, adopting: boolean): boolean {
  return (
    !!takeOverManagedFields(live.metadata?.managedFields ?? [], fieldManager, adopting) ||
    !!ownerRefsWithoutVidra(live)
  );
}

/**
 * Takes an object over the way Flux does, instead of replacing it: the managed-fields entries of
 * people and legacy tools (see field-managers.ts) are folded into the owner's, so the forced apply
 * that follows removes what they set and the manifest lacks, while finalizers, owner references,
 * labels and annotations that controllers set stay. Owner references to VidraResources (Vidra set a
 * controller reference to the first VidraResource that applied an object) are stripped, so garbage
 * collection cannot delete an object another owner still lists, or one that was orphaned.
 * Conditional on the version read; read again on a conflict. Returns the object after.
 */
export async function takeOver(
  engine: Engine,
  path: string,
  read: KubeObject,
  fieldManager: string,
  adopting: boolean,
): Promise<KubeObject | undefined> {
  let live: KubeObject | undefined = read;
  for (let attempt = 1; live; attempt++) {
    const managedFields = takeOverManagedFields(
      live.metadata?.managedFields ?? [],
      fieldManager,
      adopting,
    );
    const ownerReferences = ownerRefsWithoutVidra(live);
    if (!managedFields && !ownerReferences) return live;
    try {
      return await engine.kube.mergePatch<KubeObject>(
        path,
        {
          metadata: {
            resourceVersion: live.metadata?.resourceVersion,
            ...(managedFields ? { managedFields } : {}),
            ...(ownerReferences
              ? { ownerReferences: ownerReferences.length ? ownerReferences : null }
              : {}),
          },
        },
        { fieldManager: OPERATOR_FIELD_MANAGER },
      );
    } catch (err) {
      if (!(err instanceof KubeApiError && err.conflict) || attempt >= 5) throw err;
      live = await engine.kube.getOptional<KubeObject>(path);
    }
  }
  return undefined;
}
