import type { ChangeEntry } from "../apply/types";
import { errorMessage, isRetryable } from "../errors";
import type { KubeClient } from "../kube/client";
import type { Logger } from "../logger";
import type { ObjectRef } from "../manifest/types";
import type { ReconcileResult } from "../queue/types";
import type { EventRecorder } from "../status/events";
import type { Destination, DestinationResolver } from "./destinations";
import { SYNC_NOW_ANNOTATION } from "./markers";
import type { OperatorConfig } from "./operator-config";
import { vidraResourcePath, type VidraResourceObject } from "./resources";
import { applyAndPrune, type ApplyPassContext } from "./vidraresource/apply-pass";
import { KindRetries, recordFailure } from "./vidraresource/failure";
import { ensureFinalizer, finalize } from "./vidraresource/finalizer";
import { onlyHealthIsDue, recheckHealth, type LastApply } from "./vidraresource/health-pass";
import { reapplyInterval } from "./vidraresource/pass-context";
import { recordSuspended } from "./vidraresource/suspended-pass";

/** What the drift watch needs to know after each apply. */
export interface DriftTracker {
  track(
    owner: string,
    dest: Destination,
    refs: ObjectRef[],
    writes: ChangeEntry[],
    enabled: boolean,
  ): void;
  forget(owner: string): void;
}

export interface VidraResourceReconcilerDeps {
  /** The operator's own identity: the VidraResource itself (status, finalizer), never its objects. */
  kube: KubeClient;
  /** Namespaces whose objects are never adopted (see protectedNamespaces). */
  protectedNamespaces?: ReadonlySet<string>;
  destinations: DestinationResolver;
  config: () => OperatorConfig;
  events: EventRecorder;
  logger: Logger;
  drift?: DriftTracker;
  /** Whether this watcher's shard holds a VidraResource with these labels (default: every one). */
  owns?: (labels: Record<string, string> | undefined) => boolean;
  now?: () => Date;
  /** Called with the outcome of every reconcile (metrics). */
  onOutcome?: (o: {
    name: string;
    result: "applied" | "unchanged" | "failed" | "deleted" | "suspended" | "health-check";
    entries: ChangeEntry[];
    durationMs: number;
  }) => void;
}

type Outcome = Parameters<NonNullable<VidraResourceReconcilerDeps["onOutcome"]>>[0];

/**
 * Keeps one VidraResource's manifest applied on its destination: parse, validate, dry-run, apply what
 * changed, prune what left, record the inventory, and clean up through the finalizer on deletion.
 *
 * A reconcile is a list of steps; each pass's work is in its own module under vidraresource/: the
 * full pass (apply-pass.ts), the health-only pass and health verdicts (health-pass.ts), the
 * suspended pass (suspended-pass.ts), what a failure says and the short retry for kinds not yet
 * served (failure.ts), the finalizer and cleanup on deletion (finalizer.ts), and what they share
 * (pass-context.ts). This class keeps what outlives a pass: which passes succeeded and the retries.
 */
export class VidraResourceReconciler {
  /** The short retry of kinds the destination does not serve yet (see KindRetries). */
  private readonly kindRetries = new KindRetries();
  /**
   * The last full pass that succeeded, per VidraResource (in memory: a restart makes one full pass).
   * While objects roll out, the passes in between only read their health, unless the spec changed,
   * a sync was asked for, drift was seen or the re-apply is due.
   */
  private readonly applied = new Map<string, LastApply>();
  /** What the passes use of the dependencies. */
  private readonly pass: ApplyPassContext;

  constructor(private readonly deps: VidraResourceReconcilerDeps) {
    this.pass = {
      kube: deps.kube,
      destinations: deps.destinations,
      config: deps.config,
      events: deps.events,
      protectedNamespaces: deps.protectedNamespaces,
      drift: deps.drift,
      now: () => (this.deps.now ?? (() => new Date()))(),
    };
  }

  /** The next pass must apply again (drift was seen on one of its objects). */
  markDrifted(name: string): void {
    this.applied.delete(name);
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const started = Date.now();
    const outcome = (result: Outcome["result"], entries: ChangeEntry[] = []) =>
      this.deps.onOutcome?.({ name, result, entries, durationMs: Date.now() - started });
    const vr = await this.deps.kube.getOptional<VidraResourceObject>(vidraResourcePath(name));
    if (!vr || (this.deps.owns && !this.deps.owns(vr.metadata.labels))) {
      this.deps.drift?.forget(name);
      this.deps.destinations.release(name);
      this.kindRetries.forget(name);
      return;
    }
    const log = this.deps.logger.child({ vidraResource: name, generation: vr.metadata.generation });
    if (vr.metadata.deletionTimestamp) {
      await finalize(this.pass, vr, log);
      outcome("deleted");
      return;
    }
    const current = await ensureFinalizer(this.deps.kube, vr);
    const spec = current.spec ?? {};
    if (spec.suspend) {
      // No apply, no prune, no drift repair, no health checks until resumed.
      this.applied.delete(name);
      this.deps.drift?.forget(name);
      await recordSuspended(this.pass, current);
      outcome("suspended");
      return;
    }
    const reapplyMs = reapplyInterval(this.pass, current);
    if (spec.wait && onlyHealthIsDue(current, this.applied.get(current.metadata.name), reapplyMs)) {
      try {
        const result = await recheckHealth(this.pass, this.applied, current, reapplyMs);
        outcome("health-check");
        return result;
      } catch (err) {
        // A full pass reports what went wrong (an unreachable destination, say).
        log.debug({ err: errorMessage(err) }, "health check failed; applying again");
        this.applied.delete(name);
      }
    }
    try {
      const { entries, recheckAfterMs } = await applyAndPrune(this.pass, current, log);
      this.kindRetries.forget(name);
      this.applied.set(name, {
        generation: current.metadata.generation,
        syncNow: current.metadata.annotations?.[SYNC_NOW_ANNOTATION],
        at: Date.now(),
      });
      const changed = entries.some(e => e.action !== "unchanged" && e.action !== "skipped");
      outcome(changed ? "applied" : "unchanged", entries);
      if (recheckAfterMs !== undefined) return { requeueAfterMs: recheckAfterMs };
      return reapplyMs > 0 ? { requeueAfterMs: reapplyMs } : undefined;
    } catch (err) {
      this.applied.delete(name);
      outcome("failed");
      const retryMs = this.kindRetries.retryMs(name, err);
      await recordFailure(this.pass, current, err, log, retryMs);
      if (retryMs !== undefined) return { requeueAfterMs: retryMs };
      if (isRetryable(err)) throw err;
      // A person must change something; still look again at the re-apply interval, since the
      // obstacle (an object in the way, another owner) may go away on its own.
      return reapplyMs > 0 ? { requeueAfterMs: reapplyMs } : undefined;
    }
  }
}
