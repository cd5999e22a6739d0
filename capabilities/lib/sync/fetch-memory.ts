import { SYNC_NOW_ANNOTATION } from "./markers";
import type { PollSchedule } from "./poll-schedule";
import type { InfrahubSyncObject } from "./resources";

/**
 * What the sync reconciler remembers between a sync's runs, in memory only (a restart fetches
 * everything once): what each sync's last fetch saw, and the webhook events and readiness requests
 * waiting for its next run. From these it tells, before a run is queued, whether that run may fetch
 * from Infrahub and whether it should refresh readiness first, which picks the run's lane
 * (sync-lanes.ts). It exists apart from the reconciler so that this bookkeeping and the lane
 * decisions made from it read in one place, and the reconciler reads as its steps.
 */

/** An Infrahub webhook event (or several, coalesced) asking a sync to fetch. */
export interface PushRequest {
  eventId: string;
  event: string;
  artifactId: string;
  receivedAt: Date;
}

/** The webhook events waiting for a sync's next run: the latest, and how many. */
export type PendingPush = PushRequest & { count: number };

/** What the last fetch of a sync saw; kept in memory (a restart fetches everything once). */
export interface FetchState {
  at: number;
  generation: number | undefined;
  syncRequest: string | undefined;
  failed: boolean;
  /** When the next poll is due (on its batch group's grid). */
  dueAt?: number;
  /** The artifacts it refused, as status lists them (the readiness between fetches keeps them). */
  problems: string[];
}

export class FetchMemory {
  /** By sync uid. */
  private readonly fetches = new Map<string, FetchState>();
  /** Webhook events waiting for the sync's next run, by sync name: the latest, and how many. */
  private readonly pushes = new Map<string, PendingPush>();
  /** Syncs whose VidraResources changed since their last run: their readiness may have moved. */
  private readonly readinessRequests = new Set<string>();

  constructor(
    private readonly polls: PollSchedule,
    /** The watch-fed cache's copy of a sync; without caches nothing is proven, every run may fetch. */
    private readonly cachedSync: (name: string) => InfrahubSyncObject | undefined,
  ) {}

  /**
   * Whether the sync's next run may fetch from Infrahub, as far as known before running it. Only a
   * run proven to recompute readiness says no: the cached sync's last fetch succeeded at its
   * current generation and sync-now request, its poll is not due and no webhook event waits. In
   * doubt it says yes, because a fetch run in the readiness lane would hold a slot outside its
   * address's bulkhead (a slow Infrahub's sync-now fetches then blocked every other address's).
   */
  fetchDue(name: string): boolean {
    if (this.pushes.has(name) || !this.polls.notDue(name, Date.now())) return true;
    return !this.lastFetchCurrent(name);
  }

  /**
   * Whether the cached sync's last fetch in this process succeeded at its current generation and
   * sync-now request (so only a poll or a webhook event can make its next run fetch).
   */
  private lastFetchCurrent(name: string): boolean {
    const sync = this.cachedSync(name);
    const last = sync?.metadata.uid ? this.fetches.get(sync.metadata.uid) : undefined;
    return (
      !!sync &&
      !!last &&
      !last.failed &&
      last.generation === sync.metadata.generation &&
      last.syncRequest === sync.metadata.annotations?.[SYNC_NOW_ANNOTATION]
    );
  }

  /**
   * A VidraResource of the sync changed (the caller queues the run). When only its poll makes the
   * next run fetch, that run refreshes the readiness in the readiness lane first (readinessFirst).
   */
  wantReadiness(name: string): void {
    this.readinessRequests.add(name);
  }

  /**
   * True when a VidraResource of the sync changed and its next run would fetch only because its
   * poll is due: the last fetch succeeded at the current generation and sync-now request, and no
   * webhook event waits.
   */
  readinessFirst(name: string): boolean {
    if (!this.readinessRequests.has(name) || this.pushes.has(name)) return false;
    return this.lastFetchCurrent(name);
  }

  /**
   * Makes the sync's next run fetch, whatever its poll interval says (the caller queues the run).
   * Events arriving before that run are answered by the same fetch.
   */
  push(name: string, request: PushRequest): void {
    const count = (this.pushes.get(name)?.count ?? 0) + 1;
    this.pushes.set(name, { ...request, count });
  }

  /** Webhook events not yet answered by a fetch (for tests and metrics). */
  get pendingPushes(): number {
    return this.pushes.size;
  }

  /** What waits for the sync's run, taken by that run as it starts (later requests make another). */
  take(name: string): { pushed: PendingPush | undefined; readinessWanted: boolean } {
    const pushed = this.pushes.get(name);
    this.pushes.delete(name);
    const readinessWanted = this.readinessRequests.delete(name);
    return { pushed, readinessWanted };
  }

  lastFetch(uid: string): FetchState | undefined {
    return this.fetches.get(uid);
  }

  remember(uid: string, state: FetchState): void {
    this.fetches.set(uid, state);
  }

  /** The sync is gone. Its pending webhook events stay: the run they queued finds it gone. */
  forget(uid: string, name?: string): void {
    if (name) this.readinessRequests.delete(name);
    this.fetches.delete(uid);
  }

  /** Forgets every fetch and pending push (leadership changed: another replica may have acted). */
  reset(): void {
    this.fetches.clear();
    this.pushes.clear();
    this.readinessRequests.clear();
  }
}
