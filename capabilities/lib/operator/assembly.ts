import { ObjectCache } from "../cache/object-cache";
import { SecretCache } from "../cache/secret-cache";
import { withoutContent } from "../cache/vidraresource-summary";
import { errorMessage } from "../errors";
import { InfrahubClientRegistry, type InfrahubClientOptions } from "../infrahub";
import { ApiServerMonitor, readyzProbe } from "../outage/apiserver-monitor";
import { KubeClient, type KubeClientOptions } from "../kube/client";
import type { ClusterAccess, ClusterConnection } from "../kube/kubeconfig";
import type { Logger } from "../logger";
import { OperatorMetrics } from "../metrics";
import { ReconcileRecorder } from "../observability/reconcile-recorder";
import { PushIndex } from "../push/push-index";
import { WorkQueue } from "../queue/work-queue";
import type { QueueEvent } from "../queue/types";
import { EventRecorder } from "../status/events";
import { DestinationResolver } from "../sync/destinations";
import { DriftWatch } from "../sync/drift-watch";
import { InfrahubSyncReconciler } from "../sync/infrahubsync-reconciler";
import { ShardSelector } from "../shard/shard";
import { NotLeaderError } from "../leader/elector";
import { LiveOperatorConfig } from "../sync/operator-config";
import { VidraResourceReconciler } from "../sync/vidraresource-reconciler";
import { DEFAULT_OPERATOR_NAMESPACE, protectedNamespaces } from "../tenancy/operator-namespace";
import type { InfrahubSyncObject, VidraResourceObject } from "../sync/resources";
import { DeletionCheck } from "../sync/deletion-check";
import { resourceLaneOf } from "../sync/resource-lanes";
import { syncLaneOf } from "../sync/sync-lanes";
import type { KnownObjects } from "./known-objects";

/**
 * The operator's parts, built from its options and wired to each other: the Kubernetes and
 * Infrahub clients, the watch-fed caches, the two reconcilers and the work queues in front of them,
 * drift watches, the API-server monitor and the metrics each of them feeds. It exists apart so that
 * what is built, and with which settings, reads in one place, while what the running operator
 * does with the parts (watch events, leadership, requeues) lives in the modules named for it. The
 * few callbacks that reach back into the running operator (is it leading, which objects it knows,
 * what a changed kubeconfig or an API server back from an outage queues) come in as hooks, asked
 * only when a part acts, never while it is built.
 */

export interface OperatorOptions {
  connection: ClusterAccess | ClusterConnection;
  logger: Logger;
  /**
   * Watch events of InfrahubSyncs and VidraResources that arrive before this resolves are held and
   * handled in order once it does (the watcher: until the CRDs this version ships are Established,
   * since an upgrade may be changing their schema).
   */
  holdEventsUntil?: Promise<unknown>;
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

/** Fed by the watch events; read by the sync reconciler instead of the API server. */
export interface OperatorCaches {
  syncs: ObjectCache<InfrahubSyncObject>;
  resources: ObjectCache<VidraResourceObject>;
  secrets: SecretCache;
  /** Remote destinations' kubeconfig Secrets, held by VidraResource name. */
  kubeconfigs: SecretCache;
}

/** What the parts ask of the running operator, when they act. */
export interface AssemblyHooks {
  /** Whether this replica acts now. */
  isLeading: () => boolean;
  known: KnownObjects;
  /** A kubeconfig Secret was rotated, created or deleted; these VidraResources use it. */
  onKubeconfigChange: (holders: string[]) => void;
  /** The API server is back from an outage. */
  resyncAll: () => void;
}

export class OperatorParts {
  readonly log: Logger;
  readonly shard: ShardSelector;
  readonly metrics: OperatorMetrics;
  readonly config: LiveOperatorConfig;
  readonly kube: KubeClient;
  /** Holds the Secret cache's watches: one connection each, outside the requests' pool. */
  readonly watchKube: KubeClient;
  readonly caches: OperatorCaches;
  readonly deletions: DeletionCheck;
  readonly destinations: DestinationResolver;
  readonly infrahub: InfrahubClientRegistry;
  readonly drift: DriftWatch;
  readonly resourceReconciler: VidraResourceReconciler;
  readonly syncReconciler: InfrahubSyncReconciler;
  readonly syncs: WorkQueue;
  readonly resources: WorkQueue;
  readonly apiServer: ApiServerMonitor;
  readonly pushIndex = new PushIndex();

  /** startsLeading: false for a standby (leader election), which keeps no Secret watches. */
  constructor(opts: OperatorOptions, startsLeading: boolean, hooks: AssemblyHooks) {
    this.log = opts.logger;
    this.shard = opts.shard ?? ShardSelector.everything();
    const metrics = (this.metrics = opts.metrics ?? new OperatorMetrics());
    metrics.leader.set(startsLeading ? 1 : 0);
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
          for (const h of holders) if (hooks.known.seen.has(`sync/${h}`)) this.syncs.add(h);
        },
      }),
      kubeconfigs: new SecretCache(this.watchKube, {
        logger: opts.logger.child({ component: "kubeconfig-cache" }),
        onChange: holders => hooks.onKubeconfigChange(holders),
      }),
    };
    // A standby keeps no Secret watches (see Leadership.stop); Leadership.start resumes them.
    if (!startsLeading) {
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
        if (!hooks.isLeading()) return;
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
          if (hooks.isLeading()) this.drift.track(...args);
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
          address: key => hooks.known.addresses.get(key) ?? "",
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
      max: () => syncConcurrency * Math.max(1, new Set(hooks.known.addresses.values()).size),
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
        hooks.resyncAll();
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
        watched_objects: hooks.known.seen.size,
        cached_infrahubsyncs: this.caches.syncs.size,
        cached_vidraresources: this.caches.resources.size,
        secret_watches: this.caches.secrets.watches,
        kubeconfig_watches: this.caches.kubeconfigs.watches,
      };
    });
  }
}
