import { errorMessage } from "../errors";
import { INFRAHUB_SYNCS_PATH, VIDRA_RESOURCES_PATH } from "../sync/resources";
import type { OperatorParts } from "./assembly";
import type { KnownObjects, WatchedObject } from "./known-objects";
import { takeInSync } from "./watch-events";

/**
 * Taking up and letting go of the lease (leader election): what a replica does on becoming leader
 * (reconcile everything it owns, from a fresh list) and on losing the lease (drop its queues,
 * drift watches, fetch memory and Secret watches). It exists apart because each change of
 * leadership touches nearly every part, and the order of those steps, with the term that stops
 * work started for an older one, is what keeps two replicas from acting at once.
 */

export type LeadershipParts = Pick<
  OperatorParts,
  | "caches"
  | "config"
  | "drift"
  | "kube"
  | "log"
  | "metrics"
  | "pushIndex"
  | "resources"
  | "shard"
  | "syncReconciler"
  | "syncs"
>;

export class Leadership {
  private leading: boolean;
  private readonly relistDelayMs: number;
  /** Bumped on every change of leadership: work started for an older term stops. */
  private term = 0;

  constructor(
    private readonly parts: LeadershipParts,
    private readonly known: KnownObjects,
    opts: {
      /** False for a standby: it acts only between start() and stop(). */
      startsLeading: boolean;
      /** Pause between attempts to list everything on becoming leader. */
      relistDelayMs: number;
    },
  ) {
    this.leading = opts.startsLeading;
    this.relistDelayMs = opts.relistDelayMs;
  }

  /** Whether this replica acts (always, without leader election). */
  get isLeading(): boolean {
    return this.leading;
  }

  /**
   * This replica holds the lease: everything it owns is reconciled, from a fresh list (what it saw
   * as a standby may be out of date, and another leader may have changed anything since).
   */
  start(): void {
    if (this.leading) return;
    this.leading = true;
    const term = ++this.term;
    this.known.seen.clear();
    this.parts.syncReconciler.reset();
    this.parts.caches.secrets.resume();
    this.parts.caches.kubeconfigs.resume();
    this.parts.metrics.leader.set(1);
    void this.enqueueEverything(term);
  }

  /** The lease is lost: nothing more is started, and the fence refuses what is still running. */
  stop(): void {
    if (!this.leading) return;
    this.leading = false;
    this.term++;
    this.parts.metrics.leader.set(0);
    this.parts.metrics.syncSeries.clear();
    this.parts.syncs.clear();
    this.parts.resources.clear();
    this.known.seen.clear();
    this.parts.syncReconciler.reset();
    void this.parts.drift.stop();
    // A standby reads no credentials nor kubeconfigs: the Secret watches close (the caches of the
    // two kinds stay, fed by the watches every replica keeps).
    this.parts.caches.secrets.releaseAll();
    this.parts.caches.kubeconfigs.releaseAll();
  }

  /**
   * The operator is shutting down: work started for the current term stops (a relist retrying
   * after a failed LIST would otherwise go on, against a closed client, every relist delay).
   */
  halt(): void {
    this.term++;
  }

  private async enqueueEverything(term: number): Promise<void> {
    const { parts, known } = this;
    for (;;) {
      try {
        const [syncs, resources] = await Promise.all([
          parts.kube.list<WatchedObject>(INFRAHUB_SYNCS_PATH),
          parts.kube.list<WatchedObject>(VIDRA_RESOURCES_PATH),
        ]);
        if (term !== this.term) return;
        let n = 0;
        for (const s of syncs.items) {
          if (!s.metadata?.name || !parts.shard.owns(s.metadata.labels)) continue;
          // Queued whether or not its signature changed: the lease may have changed hands since.
          takeInSync(parts, known, s, true);
          parts.syncs.add(s.metadata.name);
          n++;
        }
        for (const r of resources.items) {
          if (!r.metadata?.name || !parts.shard.owns(r.metadata.labels)) continue;
          known.changed("vr", r);
          parts.resources.add(r.metadata.name);
          n++;
        }
        parts.log.info(
          { objects: n, shard: parts.shard.describe() },
          "leading: reconciling everything",
        );
        return;
      } catch (err) {
        if (term !== this.term) return;
        parts.log.warn(
          { err: errorMessage(err) },
          "could not list the objects to reconcile after becoming leader; retrying",
        );
        await new Promise(r => setTimeout(r, this.relistDelayMs).unref?.());
        if (term !== this.term) return;
      }
    }
  }
}
