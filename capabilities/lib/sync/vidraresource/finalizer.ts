import { fromManagedResources, toManagedResources } from "../../apply/inventory";
import { PruneIncompleteError } from "../../apply/types";
import type { KubeClient } from "../../kube/client";
import { KubeApiError } from "../../kube/errors";
import type { Logger } from "../../logger";
import { outcomeConditions } from "../../status/conditions";
import { checkDestinationUnchanged } from "../destination-moved";
import { ownerFieldManager, VIDRA_RESOURCE_FINALIZER } from "../markers";
import { vidraResourcePath, type VidraResourceObject } from "../resources";
import type { VidraResourceReconcilerDeps } from "../vidraresource-reconciler";
import { destinationOf, involved, withState, writeStatus, type PassContext } from "./pass-context";

/**
 * The VidraResource's finalizer: added before its first apply, and on deletion the cleanup it
 * stands for (prune or orphan the objects in its inventory, per spec.deletionPolicy) before it is
 * released. It exists apart because deletion is a pass of its own, with its own Events and its
 * own rule: the finalizer stays while objects that should be deleted are left.
 */

export type FinalizerContext = PassContext & Pick<VidraResourceReconcilerDeps, "drift">;

export async function ensureFinalizer(
  kube: KubeClient,
  vr: VidraResourceObject,
): Promise<VidraResourceObject> {
  const finalizers = vr.metadata.finalizers ?? [];
  if (finalizers.includes(VIDRA_RESOURCE_FINALIZER)) return vr;
  return kube.mergePatch<VidraResourceObject>(vidraResourcePath(vr.metadata.name), {
    metadata: {
      finalizers: [...finalizers, VIDRA_RESOURCE_FINALIZER],
      resourceVersion: vr.metadata.resourceVersion,
    },
  });
}

export async function finalize(
  ctx: FinalizerContext,
  vr: VidraResourceObject,
  log: Logger,
): Promise<void> {
  const finalizers = vr.metadata.finalizers ?? [];
  if (!finalizers.includes(VIDRA_RESOURCE_FINALIZER)) return;
  const spec = vr.spec ?? {};
  const name = vr.metadata.name;
  // Objects about to be pruned are not drift.
  ctx.drift?.forget(name);
  const refs = fromManagedResources(vr.status?.managedResources);
  const mode = spec.deletionPolicy === "Orphan" ? "orphan" : "delete";
  if (refs.length) {
    checkDestinationUnchanged(vr);
    const dest = await destinationOf(ctx, name, spec);
    const scope = dest.resources.as({ name, fieldManager: ownerFieldManager(name) });
    try {
      const done = await (mode === "orphan" ? scope.orphan(refs) : scope.prune(refs));
      const acted = done.filter(e => e.action !== "skipped").map(e => `${e.action} ${e.subject}`);
      if (acted.length) {
        await ctx.events.record(
          involved(vr),
          "Normal",
          mode === "orphan" ? "Orphaned" : "Pruned",
          `cleanup on deletion: ${acted.slice(0, 20).join(", ")}`,
        );
      }
    } catch (err) {
      if (err instanceof PruneIncompleteError) {
        const left = err.survivors.map(s => s.ref);
        await writeStatus(ctx, vr, {
          managedResources: toManagedResources(left),
          managedCount: left.length,
          ...withState(
            outcomeConditions(
              vr.status?.conditions,
              { kind: "failed", reason: "CleanupFailed", message: err.message, stalled: false },
              vr.metadata.generation,
              ctx.now(),
            ),
          ),
        });
        await ctx.events.record(involved(vr), "Warning", "CleanupFailed", err.message);
      }
      throw err;
    }
  }
  ctx.drift?.forget(name);
  await ctx.kube
    .mergePatch(vidraResourcePath(name), {
      metadata: {
        finalizers: finalizers.filter(f => f !== VIDRA_RESOURCE_FINALIZER),
        resourceVersion: vr.metadata.resourceVersion,
      },
    })
    .catch(err => {
      if (err instanceof KubeApiError && err.notFound) return;
      throw err;
    });
  log.info({ objects: refs.length, mode }, "cleaned up and released the finalizer");
}
