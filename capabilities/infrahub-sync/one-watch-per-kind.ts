import type { Capability } from "pepr";

/** Pepr's "any event" (its Event.ANY, which the package does not export). */
const ANY_EVENT = "*";

/**
 * Declares one Watch binding that receives every phase (ADDED, MODIFIED and DELETED). Pepr opens a
 * watch of its own per Watch binding (a LIST, a stream, and a cache holding every object in full)
 * and its When() offers no binding for every event, so "created or updated" plus "deleted" cost
 * two of each per kind: twice the memory (≈20 KB per sync at 5,000 syncs) and every event parsed
 * twice. `declare` must add exactly one Watch binding; it is then widened to every event. Where
 * Pepr registers no watches (admission pods), nothing is added and nothing is changed.
 */
export function watchEveryPhase(capability: Capability, declare: () => void): void {
  const before = capability.bindings.length;
  declare();
  const added = capability.bindings.slice(before).filter(b => b.isWatch);
  if (added.length === 0) return;
  if (added.length > 1)
    throw new Error(`watchEveryPhase: expected one Watch binding, got ${added.length}`);
  (added[0] as { event: string }).event = ANY_EVENT;
}
