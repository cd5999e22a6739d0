/**
 * The sync queue's lanes. A sync whose next run needs Infrahub waits in its address's lane (that
 * address's bulkhead); a sync whose next run only recomputes readiness from its VidraResources (it
 * fetched, its poll is not due, no webhook waits) goes to a lane of its own. Without it, a sync
 * whose VidraResource had just been applied waited behind every fetch queued for its Infrahub: when
 * 5,000 syncs were created at once, Ready came only after all 5,000 first fetches (≈20 Ready/min for
 * the first ten minutes).
 */
export const READINESS_LANE = "readiness";

export interface SyncLaneFacts {
  /** The sync's normalised Infrahub address ("" when unknown). */
  address(name: string): string;
  /** True when the sync's next run fetches from Infrahub (never fetched, poll due, failed, pushed). */
  fetchDue(name: string): boolean;
  /**
   * True when a VidraResource of the sync changed and its next fetch is due only because its poll
   * is: the readiness is refreshed first, in the readiness lane, and the poll waits in its address's
   * lane afterwards. Without it, once the fetches queued for an Infrahub lagged a poll interval
   * behind, every sync whose VidraResource became Ready waited behind all of them before saying so
   * (5,000 syncs created at once: Ready stuck at 966 for four minutes).
   */
  readinessFirst?(name: string): boolean;
}

/** The `partitionOf` of the sync queue. */
export function syncLaneOf(facts: SyncLaneFacts): (name: string) => string {
  return name =>
    facts.readinessFirst?.(name) || !facts.fetchDue(name) ? READINESS_LANE : facts.address(name);
}
