import { holdUntil } from "./crd-install";
import { errorMessage } from "./errors";
import type { ApiServerMonitor } from "./outage/apiserver-monitor";
import type { KubeClient } from "./kube/client";
import type { OperatorMetrics } from "./metrics";
import type { ArtifactEvent } from "./push/artifact-event";
import type { WebhookSource } from "./push/webhook-keys";
import type { WorkQueue } from "./queue/work-queue";
import type { LiveOperatorConfig, ConfigMapLike } from "./sync/operator-config";
import { OwnWatches } from "./sync/own-watches";
import { OperatorParts, type OperatorOptions } from "./operator/assembly";
import { KnownObjects, type WatchedObject } from "./operator/known-objects";
import { Leadership } from "./operator/leadership";
import { RequeueTriggers } from "./operator/requeue-triggers";
import { WatchEvents, type WatchPhase } from "./operator/watch-events";

export type { OperatorOptions } from "./operator/assembly";
export type { WatchPhase } from "./operator/watch-events";

/**
 * The running operator: two work queues (InfrahubSync, VidraResource) in front of their reconcilers,
 * fed by watch events. Events are filtered to what can change the outcome (generation, deletion,
 * the sync-now annotation), so the operator's own status writes never loop back into work.
 *
 * With leader election, watch events reach every replica (Pepr watches on its own); a standby
 * keeps only what it needs to take over (the push index) and queues nothing. On becoming leader it
 * lists both kinds and reconciles everything; on losing the lease it drops its queues, drift watches
 * and fetch memory, and the fence refuses any write still on its way.
 *
 * Its parts are built in operator/assembly.ts; watch events are routed by operator/watch-events.ts,
 * changes of leadership by operator/leadership.ts, and the other reasons to requeue by
 * operator/requeue-triggers.ts. This class joins them and is what the capability and tests use.
 */
export class Operator {
  readonly metrics: OperatorMetrics;
  readonly config: LiveOperatorConfig;
  readonly syncs: WorkQueue;
  readonly resources: WorkQueue;
  readonly kube: KubeClient;
  readonly apiServer: ApiServerMonitor;
  private readonly parts: OperatorParts;
  private readonly known = new KnownObjects();
  private readonly leadership: Leadership;
  private readonly watchEvents: WatchEvents;
  private readonly triggers: RequeueTriggers;
  private ownWatches: OwnWatches | undefined;
  private readonly syncEvent: (obj: WatchedObject, phase: WatchPhase) => void;
  private readonly resourceEvent: (obj: WatchedObject, phase: WatchPhase) => void;

  constructor(opts: OperatorOptions) {
    const startsLeading = !opts.writeFence;
    // The hooks are asked only once the parts act, by which time everything below is built.
    const parts = (this.parts = new OperatorParts(opts, startsLeading, {
      isLeading: () => this.leadership.isLeading,
      known: this.known,
      onKubeconfigChange: holders => this.triggers.onKubeconfigChange(holders),
      resyncAll: () => this.resyncAll(),
    }));
    this.metrics = parts.metrics;
    this.config = parts.config;
    this.syncs = parts.syncs;
    this.resources = parts.resources;
    this.kube = parts.kube;
    this.apiServer = parts.apiServer;
    this.leadership = new Leadership(parts, this.known, {
      startsLeading,
      relistDelayMs: opts.relistDelayMs ?? 2_000,
    });
    this.watchEvents = new WatchEvents({
      parts,
      known: this.known,
      isLeading: () => this.leadership.isLeading,
      pushDebounceMs: opts.pushDebounceMs ?? 200,
      // Through this object's own handlers, so they wait behind events still held.
      again: {
        onInfrahubSync: (o, t) => this.onInfrahubSync(o, t),
        onVidraResource: (o, t) => this.onVidraResource(o, t),
      },
    });
    this.triggers = new RequeueTriggers(
      parts,
      this.known,
      () => this.leadership.isLeading,
      opts.overdueCheckMs ?? 5_000,
    );
    const syncEvent = (o: WatchedObject, t: WatchPhase) => this.watchEvents.onInfrahubSync(o, t);
    const resourceEvent = (o: WatchedObject, t: WatchPhase) =>
      this.watchEvents.onVidraResource(o, t);
    const held = (err: unknown) =>
      parts.log.error({ err: errorMessage(err) }, "a held watch event failed");
    const hold = opts.holdEventsUntil;
    this.syncEvent = hold ? holdUntil(hold, syncEvent, held) : syncEvent;
    this.resourceEvent = hold ? holdUntil(hold, resourceEvent, held) : resourceEvent;
  }

  /** Reconciles every known sync and VidraResource now, forgetting their retry backoff. */
  resyncAll(): void {
    this.triggers.resyncAll();
  }

  /**
   * Watches InfrahubSyncs and VidraResources with the operator's own watches, which keep no full
   * copies of them (see sync/own-watches.ts); for the watcher, where Pepr has no Watch binding for
   * them. Idempotent.
   */
  watchOwnKinds(): void {
    this.ownWatchesOf().start(["InfrahubSync", "VidraResource"]);
  }

  /**
   * Watches everything Pepr's bindings would (the operator ConfigMaps too) with the operator's own
   * watches, which never give up; for when a Pepr watch has given up (see outage/pepr-watch.ts).
   * Idempotent.
   */
  takeOverWatches(): void {
    this.ownWatchesOf().start();
  }

  private ownWatchesOf(): OwnWatches {
    // On the watch client: a watch holds its connection for as long as it runs.
    this.ownWatches ??= new OwnWatches(
      this.parts.watchKube,
      {
        onInfrahubSync: (o, t) => this.onInfrahubSync(o, t),
        onVidraResource: (o, t) => this.onVidraResource(o, t),
        onConfigMap: (o, t) => this.onConfigMap(o as ConfigMapLike, t),
      },
      this.parts.log.child({ component: "own-watches" }),
    );
    return this.ownWatches;
  }

  onInfrahubSync(obj: WatchedObject, phase: WatchPhase): void {
    this.syncEvent(obj, phase);
  }

  /**
   * An Infrahub webhook event, already verified: every sync it may concern fetches after the
   * debounce delay, through the normal path (lookup, checksum, download, verify, apply). Returns
   * how many syncs were queued; never waits for them.
   */
  onInfrahubEvent(source: WebhookSource, event: ArtifactEvent, receivedAt: Date): number {
    return this.watchEvents.onInfrahubEvent(source, event, receivedAt);
  }

  onVidraResource(obj: WatchedObject, phase: WatchPhase): void {
    this.resourceEvent(obj, phase);
  }

  onConfigMap(cm: ConfigMapLike, phase: WatchPhase): void {
    this.watchEvents.onConfigMap(cm, phase);
  }

  /** Whether this replica acts (always, without leader election). */
  get isLeading(): boolean {
    return this.leadership.isLeading;
  }

  /**
   * This replica holds the lease: everything it owns is reconciled, from a fresh list (what it saw
   * as a standby may be out of date, and another leader may have changed anything since).
   */
  startLeading(): void {
    this.leadership.start();
  }

  /** The lease is lost: nothing more is started, and the fence refuses what is still running. */
  stopLeading(): void {
    this.leadership.stop();
  }

  async stop(): Promise<void> {
    const p = this.parts;
    this.leadership.halt();
    this.triggers.stop();
    p.apiServer.stop();
    await this.ownWatches?.stop();
    await Promise.all([p.syncs.shutdown(), p.resources.shutdown()]);
    await Promise.all([p.caches.secrets.stop(), p.caches.kubeconfigs.stop()]);
    p.watchKube.close();
    await p.drift.stop();
    p.destinations.close();
    p.infrahub.close?.();
    p.kube.close();
  }
}
