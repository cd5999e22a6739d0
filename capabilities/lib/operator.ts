import { ObjectCache } from "./cache/object-cache";
import { SecretCache } from "./cache/secret-cache";
import { withoutContent } from "./cache/vidraresource-summary";
import { errorMessage } from "./errors";
import { InfrahubClientRegistry, normaliseAddress, type InfrahubClientOptions } from "./infrahub";
import { ApiServerMonitor, readyzProbe } from "./outage/apiserver-monitor";
import { KubeClient, type KubeClientOptions, type KubeObject } from "./kube/client";
import type { ClusterAccess, ClusterConnection } from "./kube/kubeconfig";
import type { Logger } from "./logger";
import { OperatorMetrics } from "./metrics";
import { ReconcileRecorder } from "./observability/reconcile-recorder";
import type { ArtifactEvent } from "./push/artifact-event";
import { PushIndex } from "./push/push-index";
import type { WebhookSource } from "./push/webhook-keys";
import { WorkQueue } from "./queue/work-queue";
import type { QueueEvent } from "./queue/types";
import { EventRecorder } from "./status/events";
import { DestinationResolver } from "./sync/destinations";
import { DriftWatch } from "./sync/drift-watch";
import { InfrahubSyncReconciler } from "./sync/infrahubsync-reconciler";
import { SYNC_LABEL, SYNC_NOW_ANNOTATION } from "./sync/markers";
import { ShardSelector } from "./shard/shard";
import { NotLeaderError } from "./leader/elector";
import { LiveOperatorConfig, type ConfigMapLike } from "./sync/operator-config";
import { OwnWatches } from "./sync/own-watches";
import { VidraResourceReconciler } from "./sync/vidraresource-reconciler";
import { DEFAULT_OPERATOR_NAMESPACE, protectedNamespaces } from "./tenancy/operator-namespace";
import {
  INFRAHUB_SYNCS_PATH,
  VIDRA_RESOURCES_PATH,
  infrahubSyncPath,
  vidraResourcePath,
  type InfrahubSyncObject,
  type VidraResourceObject,
} from "./sync/resources";
import { DeletionCheck } from "./sync/deletion-check";
import { resourceLaneOf } from "./sync/resource-lanes";
import { syncLaneOf } from "./sync/sync-lanes";
import { OverdueMarks } from "./sync/overdue-marks";

/** Pepr passes KFC's WatchPhase enum, whose values are these strings. */
export type WatchPhase = "ADDED" | "MODIFIED" | "DELETED" | string;

interface WatchedObject {
  spec?: unknown;
  metadata?: {
    name?: string;
    uid?: string;
    generation?: number;
    deletionTimestamp?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  };
}

export interface OperatorOptions {
  connection: ClusterAccess | ClusterConnection;
  logger: Logger;
  kube?: KubeClientOptions;
  infrahub?: InfrahubClientOptions;
  /** InfrahubSyncs reconciled at once per Infrahub address. */
  syncConcurrency?: number;
  /** VidraResources reconciled at once, in each of the two lanes (sync/resource-lanes.ts). */
  resourceConcurrency?: number;
  /** Objects applied at once per VidraResource. */
  applyConcurrency?: number;
  /** Delay before a drift-triggered re-apply, so a burst of edits makes one pass. */
  driftDebounceMs?: number;
  /** How often the API server's readiness is probed, to see outages (default 5 s; 0: never). */
  apiServerProbeIntervalMs?: number;
  metrics?: OperatorMetrics;
  /** Delay between a webhook event and the fetch it triggers, so a burst makes one fetch. */
  pushDebounceMs?: number;
  /** Where the operator runs (default pepr-system): its ConfigMap, and never adopted from. */
  operatorNamespace?: string;
  /** Read app=vidra ConfigMaps from every namespace, as Vidra did (a migration switch). */
  globalConfigAnyNamespace?: boolean;
  /** The objects this watcher reconciles (sharding); default every object. */
  shard?: ShardSelector;
  /**
   * Asked before every write to any cluster; throws to refuse it (leader election's fence). With
   * it, the operator starts as a standby and acts only between startLeading() and stopLeading().
   */
  writeFence?: () => void;
  /** User-Agent of its API requests (the replica's identity shows in audit logs). */
  userAgent?: string;
  /** Pause between attempts to list everything on becoming leader (default 2 s). */
  relistDelayMs?: number;
  /** A poll is overdue once late by a quarter of its interval and at least this (default 10 s). */
  pollOverdueAfterMs?: number;
  /** How long a batch of Infrahub lookups waits for more syncs of its group (default 50 ms). */
  pollBatchWindowMs?: number;
  /** How often overdue polls are looked for (default 5 s; 0: never). */
  overdueCheckMs?: number;
  /** Exec plugins a destination's kubeconfig (from a Secret) may run; none by default. */
  kubeconfigExecAllowed?: (command: string) => boolean;
}

/**
 * The running operator: two work queues (InfrahubSync, VidraResource) in front of their reconcilers,
 * fed by watch events. Events are filtered to what can change the outcome (generation, deletion,
 * the sync-now annotation), so the operator's own status writes never loop back into work.
 *
 * With leader election, watch events reach every replica (Pepr watches on its own); a standby
 * keeps only what it needs to take over (the push index) and queues nothing. On becoming leader it
 * lists both kinds and reconciles everything; on losing the lease it drops its queues, drift watches
 * and fetch memory, and the fence refuses any write still on its way.
 */
export class Operator {
  readonly metrics: OperatorMetrics;
  readonly config: LiveOperatorConfig;
  readonly syncs: WorkQueue;
  readonly resources: WorkQueue;
  readonly kube: KubeClient;
  private readonly destinations: DestinationResolver;
  private readonly drift: DriftWatch;
  private readonly syncReconciler: InfrahubSyncReconciler;
  private readonly resourceReconciler: VidraResourceReconciler;
  private readonly infrahub: InfrahubClientRegistry;
  private readonly seen = new Map<string, string>();
  private readonly pushIndex = new PushIndex();
  private readonly pushDebounceMs: number;
  /** The Infrahub address of each sync: its bulkhead in the sync queue. */
  private readonly addresses = new Map<string, string>();
  private readonly log: Logger;
  readonly apiServer: ApiServerMonitor;
  private ownWatches: OwnWatches | undefined;
  private readonly deletions: DeletionCheck;
  private readonly shard: ShardSelector;
  private leading: boolean;
  private readonly relistDelayMs: number;
  /** Bumped on every change of leadership: work started for an older term stops. */
  private term = 0;
  private readonly overdueMarks: OverdueMarks;
  private readonly overdueTimer: ReturnType<typeof setInterval> | undefined;
  /** Fed by the watch events below; read by the sync reconciler instead of the API server. */
  private readonly caches: {
    syncs: ObjectCache<InfrahubSyncObject>;
    resources: ObjectCache<VidraResourceObject>;
    secrets: SecretCache;
    /** Remote destinations' kubeconfig Secrets, held by VidraResource name. */
    kubeconfigs: SecretCache;
  };
  /** Holds the Secret cache's watches: one connection each, outside the requests' pool. */
  private readonly watchKube: KubeClient;

  constructor(opts: OperatorOptions) {
    this.log = opts.logger;
    this.pushDebounceMs = opts.pushDebounceMs ?? 200;
    this.shard = opts.shard ?? ShardSelector.everything();
    this.leading = !opts.writeFence;
    this.relistDelayMs = opts.relistDelayMs ?? 2_000;
    const metrics = (this.metrics = opts.metrics ?? new OperatorMetrics());
    metrics.leader.set(this.leading ? 1 : 0);
    const operatorNs = opts.operatorNamespace ?? DEFAULT_OPERATOR_NAMESPACE;
    this.config = new LiveOperatorConfig(opts.logger.child({ component: "config" }), {
      operatorNamespace: operatorNs,
      anyNamespace: opts.globalConfigAnyNamespace,
    });
    const kubeOptions: KubeClientOptions = {
      ...opts.kube,
      userAgent: opts.userAgent ?? opts.kube?.userAgent,
      writeFence: opts.writeFence ?? opts.kube?.writeFence,
      onRequest: i => {
        metrics.kubeRequests.inc({
          method: i.method,
          code: `${Math.floor(i.status / 100)}xx`,
          dry_run: String(i.dryRun),
        });
        metrics.restClient.observe(i);
        opts.kube?.onRequest?.(i);
      },
    };
    this.kube = new KubeClient(opts.connection, kubeOptions);
    this.watchKube = new KubeClient(opts.connection, { ...kubeOptions, maxSockets: Infinity });
    this.caches = {
      // A shard caches only its own syncs and VidraResources.
      syncs: new ObjectCache<InfrahubSyncObject>({ keep: o => this.shard.owns(o.metadata.labels) }),
      // The sync reads a VidraResource's checksum, policy and readiness, never its manifest.
      resources: new ObjectCache<VidraResourceObject>({
        keep: o => this.shard.owns(o.metadata.labels),
        project: withoutContent,
      }),
      secrets: new SecretCache(this.watchKube, {
        logger: opts.logger.child({ component: "secret-cache" }),
        // A rotated (or newly created) credentials Secret is used now, not at the next poll.
        onChange: holders => {
          for (const h of holders) if (this.seen.has(`sync/${h}`)) this.syncs.add(h);
        },
      }),
      kubeconfigs: new SecretCache(this.watchKube, {
        logger: opts.logger.child({ component: "kubeconfig-cache" }),
        onChange: holders => this.onKubeconfigChange(holders),
      }),
    };
    // A standby keeps no Secret watches (see stopLeading); startLeading resumes them.
    if (!this.leading) {
      this.caches.secrets.releaseAll();
      this.caches.kubeconfigs.releaseAll();
    }
    this.deletions = new DeletionCheck(this.kube, opts.logger.child({ component: "watch" }));
    this.destinations = new DestinationResolver(this.kube, {
      clientOptions: kubeOptions,
      applyConcurrency: opts.applyConcurrency,
      execAllowed: opts.kubeconfigExecAllowed,
      secrets: this.caches.kubeconfigs,
    });
    this.infrahub = new InfrahubClientRegistry({
      ...opts.infrahub,
      logger: opts.logger.child({ component: "infrahub" }),
      onRequest: o => {
        metrics.infrahubRequests.inc({ endpoint: o.endpoint, status: String(o.status) });
        metrics.infrahubLatency.observe({ endpoint: o.endpoint }, o.durationMs / 1000);
        opts.infrahub?.onRequest?.(o);
      },
      onCircuitStateChange: c => {
        metrics.circuitState.set(
          { address: c.address },
          c.state === "closed" ? 0 : c.state === "half-open" ? 1 : 2,
        );
        opts.infrahub?.onCircuitStateChange?.(c);
      },
    });
    const events = new EventRecorder(
      this.kube,
      "vidra-pepr",
      opts.logger.child({ component: "events" }),
    );
    const config = () => this.config.get();
    const debounce = opts.driftDebounceMs ?? 1000;
    this.drift = new DriftWatch({
      logger: opts.logger.child({ component: "drift" }),
      onDrift: (owner, reason) => {
        if (!this.leading) return;
        metrics.driftEvents.inc();
        this.log.info({ vidraResource: owner, reason }, "drift detected; re-applying");
        this.resourceReconciler.markDrifted(owner);
        this.resources.addAfter(owner, debounce);
      },
    });
    // controller-runtime's reconcile metrics, controllers named as it names them (lowercase kind).
    const syncRecorder = new ReconcileRecorder(metrics.controllers, "infrahubsync");
    const resourceRecorder = new ReconcileRecorder(metrics.controllers, "vidraresource");
    this.resourceReconciler = new VidraResourceReconciler({
      kube: this.kube,
      protectedNamespaces: protectedNamespaces(operatorNs),
      destinations: this.destinations,
      config,
      events,
      logger: opts.logger.child({ component: "vidraresource" }),
      owns: labels => this.shard.owns(labels),
      // A standby opens no drift watches, even for a reconcile that was running when it stepped down.
      drift: {
        track: (...args) => {
          if (this.leading) this.drift.track(...args);
        },
        forget: owner => this.drift.forget(owner),
      },
      onOutcome: o => {
        if (o.result === "failed") resourceRecorder.failed(o.name);
        metrics.reconciles.inc({ kind: "VidraResource", result: o.result });
        metrics.reconcileDuration.observe({ kind: "VidraResource" }, o.durationMs / 1000);
        for (const e of o.entries) metrics.objects.inc({ action: e.action });
      },
    });
    this.syncReconciler = new InfrahubSyncReconciler({
      kube: this.kube,
      infrahub: this.infrahub,
      config,
      events,
      logger: opts.logger.child({ component: "infrahubsync" }),
      owns: labels => this.shard.owns(labels),
      pollOverdueAfterMs: opts.pollOverdueAfterMs,
      pollBatchWindowMs: opts.pollBatchWindowMs,
      onBatch: b => this.log.debug({ ...b }, "Infrahub lookups batched"),
      onPollDelay: ms => metrics.pollDelay.observe(ms / 1000),
      caches: this.caches,
      onOutcome: o => {
        if (o.result === "failed") syncRecorder.failed(o.name);
        if (o.result === "changed" || o.result === "unchanged")
          metrics.syncSeries.succeeded(o.name);
        metrics.reconciles.inc({ kind: "InfrahubSync", result: o.result });
        metrics.reconcileDuration.observe({ kind: "InfrahubSync" }, o.durationMs / 1000);
        metrics.downloads.inc(o.downloads);
      },
    });
    const queueEvents = (queue: string) => (e: QueueEvent) => {
      const q = queue === "infrahubsync" ? this.syncs : this.resources;
      if (q) metrics.queueDepth.set({ queue }, q.depth);
      if (e.type === "retry-scheduled") metrics.queueRetries.inc({ queue });
      if (e.type === "failed" && e.error instanceof NotLeaderError)
        this.log.info({ queue, key: e.key }, "reconcile stopped: this replica lost the lease");
      else if (e.type === "failed")
        this.log.warn({ queue, key: e.key, err: errorMessage(e.error) }, "reconcile failed");
    };
    // One bulkhead per Infrahub address: syncs waiting on a slow or failing Infrahub hold only that
    // address's slots, never those of syncs reading from another.
    const syncConcurrency = opts.syncConcurrency ?? 4;
    this.syncs = new WorkQueue(
      syncRecorder.wrap(key => this.syncReconciler.reconcile(key)),
      {
        concurrency: syncConcurrency,
        partitionOf: syncLaneOf({
          address: key => this.addresses.get(key) ?? "",
          fetchDue: key => this.syncReconciler.fetchDue(key),
          readinessFirst: key => this.syncReconciler.readinessFirst(key),
        }),
        logger: opts.logger,
        onEvent: queueEvents("infrahubsync"),
        metrics: metrics.workqueues.forQueue("infrahubsync", () => this.syncs),
      },
    );
    this.resources = new WorkQueue(
      resourceRecorder.wrap(key => this.resourceReconciler.reconcile(key)),
      {
        concurrency: opts.resourceConcurrency ?? 4,
        // New and changed specs never wait behind the periodic re-applies of every other one.
        partitionOf: resourceLaneOf(name => this.caches.resources.get(name)),
        logger: opts.logger,
        onEvent: queueEvents("vidraresource"),
        metrics: metrics.workqueues.forQueue("vidraresource", () => this.resources),
      },
    );
    // Each Infrahub address has its own slots (bulkheads), so the most at once is per address.
    metrics.controllers.register("infrahubsync", {
      active: () => this.syncs.runningCount,
      max: () => syncConcurrency * Math.max(1, new Set(this.addresses.values()).size),
    });
    metrics.controllers.register("vidraresource", {
      active: () => this.resources.runningCount,
      // Two lanes (resource-lanes.ts), each with its own slots.
      max: () => 2 * (opts.resourceConcurrency ?? 4),
    });
    // Outages: seen by a readiness probe, shown in metrics and logs; when the API server is back,
    // everything is reconciled at once instead of at each key's (by then long) retry backoff.
    this.apiServer = new ApiServerMonitor({
      probe: readyzProbe(this.kube),
      intervalMs: opts.apiServerProbeIntervalMs,
      logger: opts.logger.child({ component: "apiserver" }),
      onDown: () => {
        metrics.apiServerUp.set(0);
        metrics.apiServerOutages.inc();
      },
      onUp: downForMs => {
        metrics.apiServerUp.set(1);
        metrics.apiServerLastOutage.set(downForMs / 1000);
        this.resyncAll();
      },
    });
    metrics.observeOutage(() => this.apiServer.downForMs);
    if (opts.apiServerProbeIntervalMs !== 0) this.apiServer.start();
    metrics.observeCaches(() => {
      const drift = this.drift.entries;
      return {
        infrahub_clients: this.infrahub.size,
        destinations: this.destinations.size,
        drift_watches: this.drift.size,
        drift_owners: drift.owners,
        drift_own_writes: drift.ownWrites,
        drift_tracked_objects: drift.trackedObjects,
        drift_remembered_objects: drift.hashes,
        watched_objects: this.seen.size,
        cached_infrahubsyncs: this.caches.syncs.size,
        cached_vidraresources: this.caches.resources.size,
        secret_watches: this.caches.secrets.watches,
        kubeconfig_watches: this.caches.kubeconfigs.watches,
      };
    });
    this.overdueMarks = new OverdueMarks(
      o => this.syncReconciler.markOverdue(o),
      opts.logger.child({ component: "poll-overdue" }),
    );
    const overdueCheckMs = opts.overdueCheckMs ?? 5_000;
    if (overdueCheckMs > 0) {
      this.overdueTimer = setInterval(() => this.checkOverdue(), overdueCheckMs);
      this.overdueTimer.unref?.();
    }
    this.config.onChange((next, previous) => {
      if (!this.leading) return;
      // New defaults apply at each key's next run; switching event mode on must start watches now.
      if (next.eventBasedReconcile !== previous.eventBasedReconcile)
        for (const k of this.keysOf("vr")) this.resources.add(k);
      if (next.queryName !== previous.queryName)
        for (const k of this.keysOf("sync")) this.syncs.add(k);
      // Fences and identities decide what may be applied: every resource is checked again now.
      if (JSON.stringify(next.tenancy) !== JSON.stringify(previous.tenancy)) {
        for (const k of this.keysOf("vr")) this.resources.add(k);
        for (const k of this.keysOf("sync")) this.syncs.add(k);
      }
    });
  }

  /** Reconciles every known sync and VidraResource now, forgetting their retry backoff. */
  resyncAll(): void {
    if (!this.leading) return;
    for (const k of this.keysOf("sync")) {
      this.syncs.forget(k);
      this.syncs.add(k);
    }
    for (const k of this.keysOf("vr")) {
      this.resources.forget(k);
      this.resources.add(k);
    }
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
      this.watchKube,
      {
        onInfrahubSync: (o, t) => this.onInfrahubSync(o, t),
        onVidraResource: (o, t) => this.onVidraResource(o, t),
        onConfigMap: (o, t) => this.onConfigMap(o as ConfigMapLike, t),
      },
      this.log.child({ component: "own-watches" }),
    );
    return this.ownWatches;
  }

  private keysOf(prefix: string): string[] {
    return [...this.seen.keys()]
      .filter(k => k.startsWith(`${prefix}/`))
      .map(k => k.slice(prefix.length + 1));
  }

  /** True when the event changes something a reconcile acts on (not just status). */
  private changed(prefix: string, obj: WatchedObject): boolean {
    const m = obj.metadata ?? {};
    const signature = [
      m.uid,
      m.generation,
      m.deletionTimestamp ?? "",
      m.annotations?.[SYNC_NOW_ANNOTATION] ?? "",
    ].join("|");
    const key = `${prefix}/${m.name}`;
    if (this.seen.get(key) === signature) return false;
    this.seen.set(key, signature);
    return true;
  }

  onInfrahubSync(obj: WatchedObject, phase: WatchPhase): void {
    const name = obj.metadata?.name;
    if (!name) return;
    if (phase === "DELETED")
      return this.afterDeletion(infrahubSyncPath(name), obj, {
        gone: () => {
          this.caches.syncs.observe(phase, obj as InfrahubSyncObject);
          this.dropSync(name, obj);
        },
        again: current => this.onInfrahubSync(current, "ADDED"),
        unknown: () => this.leading && this.syncs.add(name),
      });
    this.caches.syncs.observe(phase, obj as InfrahubSyncObject);
    // Moved to another shard: that shard's watcher takes it from here.
    if (!this.shard.owns(obj.metadata?.labels)) return this.dropSync(name, obj);
    this.pushIndex.update(obj as InfrahubSyncObject);
    this.addresses.set(name, addressOf(obj.spec));
    if (this.leading) this.metrics.syncSeries.observe(obj, this.config.get().requeueSyncAfterMs);
    if (this.leading && this.changed("sync", obj)) this.syncs.add(name);
  }

  private dropSync(name: string, obj: WatchedObject): void {
    this.metrics.syncSeries.remove(name);
    this.caches.secrets.release(name);
    this.pushIndex.remove(name);
    this.seen.delete(`sync/${name}`);
    this.addresses.delete(name);
    this.syncs.remove(name);
    if (obj.metadata?.uid) this.syncReconciler.forget(obj.metadata.uid, name);
    else this.syncReconciler.polls.forget(name);
  }

  /**
   * A watch's DELETED event, checked first (see DeletionCheck): only an object really gone is
   * forgotten; one replaced by a new object of the same name is forgotten and the new one taken up.
   */
  private afterDeletion(
    path: string,
    obj: WatchedObject,
    then: { gone: () => void; again: (current: WatchedObject) => void; unknown: () => void },
  ): void {
    void this.deletions.check(path, obj as KubeObject).then(verdict => {
      if (verdict.kind === "gone" || verdict.kind === "replaced") then.gone();
      if (verdict.kind === "replaced") then.again(verdict.current);
      if (verdict.kind === "unknown") then.unknown();
    });
  }

  /**
   * An Infrahub webhook event, already verified: every sync it may concern fetches after the
   * debounce delay, through the normal path (lookup, checksum, download, verify, apply). Returns
   * how many syncs were queued; never waits for them.
   */
  onInfrahubEvent(source: WebhookSource, event: ArtifactEvent, receivedAt: Date): number {
    if (!this.leading) return 0;
    const names = this.pushIndex.match(source.address, event, receivedAt);
    for (const name of names) {
      this.syncReconciler.push(name, {
        eventId: event.id,
        event: event.type,
        artifactId: event.artifactId,
        receivedAt,
      });
      this.syncs.addAfter(name, this.pushDebounceMs);
    }
    this.metrics.webhookTriggers.inc(names.length);
    return names.length;
  }

  onVidraResource(obj: WatchedObject, phase: WatchPhase): void {
    const name = obj.metadata?.name;
    if (!name) return;
    const owned = this.shard.owns(obj.metadata?.labels);
    // A deletion leaves the cache only once confirmed: the sync would take a VidraResource missing
    // from it for one that is gone.
    if (phase !== "DELETED") this.caches.resources.observe(phase, obj as VidraResourceObject);
    // The owning sync aggregates the readiness of its VidraResources.
    const owner = obj.metadata?.labels?.[SYNC_LABEL];
    if (owner && owned && this.leading) {
      this.syncReconciler.wantReadiness(owner);
      this.syncs.add(owner);
    }
    if (phase === "DELETED")
      return this.afterDeletion(vidraResourcePath(name), obj, {
        gone: () => {
          this.caches.resources.observe(phase, obj as VidraResourceObject);
          this.dropResource(name);
          // The sync's readiness counted it until now.
          if (owner && owned && this.leading) this.syncs.add(owner);
        },
        again: current => this.onVidraResource(current, "ADDED"),
        unknown: () => this.leading && this.resources.add(name),
      });
    if (!owned) return this.dropResource(name);
    if (this.leading && this.changed("vr", obj)) this.resources.add(name);
  }

  private dropResource(name: string): void {
    this.seen.delete(`vr/${name}`);
    this.resources.remove(name);
    this.drift.forget(name);
    this.destinations.release(name);
  }

  /** Whether this replica acts (always, without leader election). */
  get isLeading(): boolean {
    return this.leading;
  }

  /**
   * This replica holds the lease: everything it owns is reconciled, from a fresh list (what it saw
   * as a standby may be out of date, and another leader may have changed anything since).
   */
  startLeading(): void {
    if (this.leading) return;
    this.leading = true;
    const term = ++this.term;
    this.seen.clear();
    this.syncReconciler.reset();
    this.caches.secrets.resume();
    this.caches.kubeconfigs.resume();
    this.metrics.leader.set(1);
    void this.enqueueEverything(term);
  }

  /** The lease is lost: nothing more is started, and the fence refuses what is still running. */
  stopLeading(): void {
    if (!this.leading) return;
    this.leading = false;
    this.term++;
    this.metrics.leader.set(0);
    this.metrics.syncSeries.clear();
    this.syncs.clear();
    this.resources.clear();
    this.seen.clear();
    this.syncReconciler.reset();
    void this.drift.stop();
    // A standby reads no credentials nor kubeconfigs: the Secret watches close (the caches of the
    // two kinds stay, fed by the watches every replica keeps).
    this.caches.secrets.releaseAll();
    this.caches.kubeconfigs.releaseAll();
  }

  private async enqueueEverything(term: number): Promise<void> {
    for (;;) {
      try {
        const [syncs, resources] = await Promise.all([
          this.kube.list<WatchedObject>(INFRAHUB_SYNCS_PATH),
          this.kube.list<WatchedObject>(VIDRA_RESOURCES_PATH),
        ]);
        if (term !== this.term) return;
        let n = 0;
        for (const s of syncs.items) {
          if (!s.metadata?.name || !this.shard.owns(s.metadata.labels)) continue;
          this.pushIndex.update(s as InfrahubSyncObject);
          this.addresses.set(s.metadata.name, addressOf(s.spec));
          this.metrics.syncSeries.observe(s, this.config.get().requeueSyncAfterMs);
          this.changed("sync", s);
          this.syncs.add(s.metadata.name);
          n++;
        }
        for (const r of resources.items) {
          if (!r.metadata?.name || !this.shard.owns(r.metadata.labels)) continue;
          this.changed("vr", r);
          this.resources.add(r.metadata.name);
          n++;
        }
        this.log.info(
          { objects: n, shard: this.shard.describe() },
          "leading: reconciling everything",
        );
        return;
      } catch (err) {
        if (term !== this.term) return;
        this.log.warn(
          { err: errorMessage(err) },
          "could not list the objects to reconcile after becoming leader; retrying",
        );
        await new Promise(r => setTimeout(r, this.relistDelayMs).unref?.());
        if (term !== this.term) return;
      }
    }
  }

  onConfigMap(cm: ConfigMapLike, phase: WatchPhase): void {
    if (phase === "DELETED") this.config.remove(cm);
    else this.config.upsert(cm);
  }

  /**
   * Polls overdue because every worker of their Infrahub is busy: counted, and said once per late
   * poll in the sync's status (condition PollOverdue, removed by the sync's next reconcile).
   */
  private checkOverdue(): void {
    const overdue = this.leading ? this.syncReconciler.polls.overdue(Date.now()) : [];
    this.metrics.pollsOverdue.set(overdue.length);
    void this.overdueMarks.check(overdue);
  }

  /**
   * A kubeconfig Secret was rotated, created or deleted (its watch says so): a rotated one must
   * replace the clients built from it everywhere, drift watches included, without waiting for the
   * next re-apply. Its users are reconciled, which resolves the destination again (new clients,
   * drift watches moved to them, the old ones closed), or reports the Secret missing.
   */
  private onKubeconfigChange(holders: string[]): void {
    // A standby holds no such watches; one still closing has nothing to queue.
    if (!this.leading) return;
    for (const holder of holders) {
      if (!this.seen.has(`vr/${holder}`)) continue;
      // A full pass, not a health-only one (see VidraResourceReconciler.onlyHealthIsDue): only a
      // full pass moves the drift watches to the new clients.
      this.resourceReconciler.markDrifted(holder);
      this.log.info(
        { vidraResource: holder },
        "the destination's kubeconfig Secret changed; resolving the destination again",
      );
      this.resources.add(holder);
    }
  }

  async stop(): Promise<void> {
    if (this.overdueTimer) clearInterval(this.overdueTimer);
    this.apiServer.stop();
    await this.ownWatches?.stop();
    await Promise.all([this.syncs.shutdown(), this.resources.shutdown()]);
    await Promise.all([this.caches.secrets.stop(), this.caches.kubeconfigs.stop()]);
    this.watchKube.close();
    await this.drift.stop();
    this.destinations.close();
    this.infrahub.close?.();
    this.kube.close();
  }
}

/** A sync's bulkhead: its normalised Infrahub address ("" when unusable, so it fails on its own). */
function addressOf(spec: unknown): string {
  const url = (spec as { source?: { infrahubAPIURL?: unknown } } | undefined)?.source
    ?.infrahubAPIURL;
  if (typeof url !== "string") return "";
  try {
    return normaliseAddress(url);
  } catch {
    return "";
  }
}
