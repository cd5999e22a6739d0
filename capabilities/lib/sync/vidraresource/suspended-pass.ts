import { outcomeConditions } from "../../status/conditions";
import { SUSPENDED_BY_SYNC_ANNOTATION, SYNC_NOW_ANNOTATION } from "../markers";
import type { VidraResourceObject } from "../resources";
import { withState, writeStatus, type PassContext } from "./pass-context";

/**
 * The pass over a suspended VidraResource (spec.suspend, set by a person or by its suspended
 * InfrahubSync): nothing but a status saying so and why. It exists apart so the reconciler's step
 * reads as one line, as the other passes do.
 */

export async function recordSuspended(ctx: PassContext, vr: VidraResourceObject): Promise<void> {
  const bySync = vr.metadata.annotations?.[SUSPENDED_BY_SYNC_ANNOTATION];
  await writeStatus(ctx, vr, {
    ...withState(
      outcomeConditions(
        vr.status?.conditions,
        {
          kind: "failed",
          reason: "Suspended",
          message: bySync
            ? `suspended with its InfrahubSync ${bySync}; nothing is applied, pruned or repaired until the sync is resumed`
            : "spec.suspend is true; nothing is applied, pruned or repaired",
          stalled: false,
        },
        vr.metadata.generation,
        ctx.now(),
      ),
    ),
    observedGeneration: vr.metadata.generation,
    // Answered, though nothing was done: a waiting `vidra reconcile` learns it is suspended.
    lastHandledSyncRequest: vr.metadata.annotations?.[SYNC_NOW_ANNOTATION],
  });
}
