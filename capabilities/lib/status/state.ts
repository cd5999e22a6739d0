import { getCondition, type Condition } from "./conditions";

/** Vidra's one-word state (`syncState`, `DeployState`), the State column of `kubectl get`. */
export type VidraState = "Pending" | "Running" | "Succeeded" | "Failed" | "Stale";

/** Ready=False reasons after which the objects stay as they were, neither failed nor current. */
const STALE_REASONS = new Set(["PruneFailed", "CleanupFailed", "Suspended"]);

/**
 * The state and lastError that go with a set of conditions. Derived from Ready, never set on its
 * own, so `kubectl get` cannot show State Succeeded next to Ready False.
 */
export function stateOf(conditions: readonly Condition[] | undefined): {
  state: VidraState;
  lastError: string;
} {
  const ready = getCondition(conditions, "Ready");
  if (!ready) return { state: "Pending", lastError: "" };
  if (ready.status === "True") return { state: "Succeeded", lastError: "" };
  if (ready.status === "Unknown") return { state: "Running", lastError: "" };
  if (ready.reason === "Suspended") return { state: "Stale", lastError: "" };
  return { state: STALE_REASONS.has(ready.reason) ? "Stale" : "Failed", lastError: ready.message };
}
