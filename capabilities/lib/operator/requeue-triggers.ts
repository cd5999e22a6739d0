import { OverdueMarks } from "../sync/overdue-marks";
import type { OperatorParts } from "./assembly";
import type { KnownObjects } from "./known-objects";

/**
 * What calls for work on known objects besides their own watch events: a rotated kubeconfig
 * Secret, a changed operator configuration, the API server back from an outage (resyncAll), and
 * the periodic look for polls left overdue by busy workers. It exists apart because each of these
 * walks the objects the operator knows from outside the watch events, on the leader only, and
 * together they are the answer to "why did this reconcile run when nothing changed?".
 */

export type RequeueTriggerParts = Pick<
  OperatorParts,
  "config" | "log" | "metrics" | "resourceReconciler" | "resources" | "syncReconciler" | "syncs"
>;

export class RequeueTriggers {
  private readonly overdueMarks: OverdueMarks;
  private readonly overdueTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly parts: RequeueTriggerParts,
    private readonly known: KnownObjects,
    private readonly isLeading: () => boolean,
    /** How often overdue polls are looked for (0: never). */
    overdueCheckMs: number,
  ) {
    this.overdueMarks = new OverdueMarks(
      o => this.parts.syncReconciler.markOverdue(o),
      parts.log.child({ component: "poll-overdue" }),
    );
    if (overdueCheckMs > 0) {
      this.overdueTimer = setInterval(() => this.checkOverdue(), overdueCheckMs);
      this.overdueTimer.unref?.();
    }
    parts.config.onChange((next, previous) => {
      if (!this.isLeading()) return;
      // New defaults apply at each key's next run; switching event mode on must start watches now.
      if (next.eventBasedReconcile !== previous.eventBasedReconcile)
        for (const k of this.known.keysOf("vr")) this.parts.resources.add(k);
      if (next.queryName !== previous.queryName)
        for (const k of this.known.keysOf("sync")) this.parts.syncs.add(k);
      // Fences and identities decide what may be applied: every resource is checked again now.
      if (JSON.stringify(next.tenancy) !== JSON.stringify(previous.tenancy)) {
        for (const k of this.known.keysOf("vr")) this.parts.resources.add(k);
        for (const k of this.known.keysOf("sync")) this.parts.syncs.add(k);
      }
    });
  }

  /** Reconciles every known sync and VidraResource now, forgetting their retry backoff. */
  resyncAll(): void {
    if (!this.isLeading()) return;
    for (const k of this.known.keysOf("sync")) {
      this.parts.syncs.forget(k);
      this.parts.syncs.add(k);
    }
    for (const k of this.known.keysOf("vr")) {
      this.parts.resources.forget(k);
      this.parts.resources.add(k);
    }
  }

  /**
   * Polls overdue because every worker of their Infrahub is busy: counted, and said once per late
   * poll in the sync's status (condition PollOverdue, removed by the sync's next reconcile).
   */
  private checkOverdue(): void {
    const overdue = this.isLeading() ? this.parts.syncReconciler.polls.overdue(Date.now()) : [];
    this.parts.metrics.pollsOverdue.set(overdue.length);
    void this.overdueMarks.check(overdue);
  }

  /**
   * A kubeconfig Secret was rotated, created or deleted (its watch says so): a rotated one must
   * replace the clients built from it everywhere, drift watches included, without waiting for the
   * next re-apply. Its users are reconciled, which resolves the destination again (new clients,
   * drift watches moved to them, the old ones closed), or reports the Secret missing.
   */
  onKubeconfigChange(holders: string[]): void {
    // A standby holds no such watches; one still closing has nothing to queue.
    if (!this.isLeading()) return;
    for (const holder of holders) {
      if (!this.known.seen.has(`vr/${holder}`)) continue;
      // A full pass, not a health-only one (see onlyHealthIsDue, sync/vidraresource/health-pass.ts):
      // only a full pass moves the drift watches to the new clients.
      this.parts.resourceReconciler.markDrifted(holder);
      this.parts.log.info(
        { vidraResource: holder },
        "the destination's kubeconfig Secret changed; resolving the destination again",
      );
      this.parts.resources.add(holder);
    }
  }

  /** Stops the overdue check's timer. */
  stop(): void {
    if (this.overdueTimer) clearInterval(this.overdueTimer);
  }
}
