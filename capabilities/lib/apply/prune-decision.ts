import type { KubeObject } from "../kube/client";
import { isManagedByVidra } from "../sync/markers";
import { ownersOf } from "./ownership";
import { SSA_ANNOTATION, ssaPolicy } from "./ssa-policy";

/** Objects carrying this annotation with value "disabled" are never deleted by pruning. */
export const PRUNE_ANNOTATION = "infrahub.operators.com/prune";

export type PruneMode = "delete" | "orphan";

export type PruneDecision =
  | {
      action: "skip";
      message: string;
      /** the owner's leftover fields are to be given up */ giveUp?: boolean;
    }
  | { action: "release"; others: string[]; legacy: boolean }
  | { action: "orphan" }
  | { action: "delete" };

/**
 * What removing `owner` from an object means, decided on one read of it (the write that carries the
 * decision out is conditional on that read's resourceVersion, so a concurrent owner joining or
 * leaving makes it decide again):
 * - gone, or no longer marked managed-by vidra: nothing to do;
 * - other owners marked (or listed, for objects Vidra wrote): release, the object stays;
 * - owned by others only: nothing of ours left to remove, but fields our manager still holds are given up;
 * - this owner alone: delete it (or strip the marks when orphaning), unless prune is disabled.
 */
export function decidePrune(
  live: KubeObject | undefined,
  owner: string,
  mode: PruneMode,
  hasOwnFields: boolean,
): PruneDecision {
  if (!live) return { action: "skip", message: "already gone" };
  if (!isManagedByVidra(live.metadata))
    return { action: "skip", message: "no longer marked managed-by vidra; left alone" };
  if (ssaPolicy(undefined, live).ignore)
    return { action: "skip", message: `annotated ${SSA_ANNOTATION}: Ignore; left alone` };
  const { owners, legacy } = ownersOf(live.metadata);
  if (owners.length && !owners.includes(owner))
    return {
      action: "skip",
      message: `listed by ${owners.join(", ")}, not by ${owner}; left alone`,
      giveUp: hasOwnFields,
    };
  const others = owners.filter(o => o !== owner);
  if (others.length) return { action: "release", others, legacy };
  if (mode === "orphan") return { action: "orphan" };
  if (live.metadata?.annotations?.[PRUNE_ANNOTATION] === "disabled")
    return { action: "skip", message: `annotated ${PRUNE_ANNOTATION}: disabled; left in place` };
  return { action: "delete" };
}
