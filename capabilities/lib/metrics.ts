import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { ControllerMetrics } from "./observability/controller-metrics";
import { RestClientMetrics } from "./observability/rest-client-metrics";
import { SyncSeries } from "./observability/sync-series";
import { WorkqueueMetrics } from "./observability/workqueue-metrics";

/**
 * The operator's Prometheus metrics, in a registry of their own; the capability appends them to
 * what Pepr serves on /metrics. Label values are low-cardinality (results, endpoints, actions).
 */
export class OperatorMetrics {
  readonly registry = new Registry();

  constructor() {
    this.apiServerUp.set(1);
  }

  /** The names operator dashboards already use (controller-runtime, client-go), beside ours. */
  readonly controllers = new ControllerMetrics(this.registry);
  readonly workqueues = new WorkqueueMetrics(this.registry);
  readonly restClient = new RestClientMetrics(this.registry);
  /** Per-InfrahubSync series (last success, ready, suspended, poll interval). */
  readonly syncSeries = new SyncSeries(this.registry);

  readonly reconciles = new Counter({
    name: "vidra_reconciles_total",
    help: "Reconciles by kind (InfrahubSync, VidraResource) and result.",
    labelNames: ["kind", "result"],
    registers: [this.registry],
  });

  readonly reconcileDuration = new Histogram({
    name: "vidra_reconcile_duration_seconds",
    help: "Duration of reconciles by kind.",
    labelNames: ["kind"],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly objects = new Counter({
    name: "vidra_objects_total",
    help: "Objects handled on destination clusters by action (created, configured, unchanged, deleted, released, orphaned, skipped, failed).",
    labelNames: ["action"],
    registers: [this.registry],
  });

  readonly downloads = new Counter({
    name: "vidra_artifact_downloads_total",
    help: "Artifact contents downloaded from Infrahub.",
    registers: [this.registry],
  });

  readonly infrahubRequests = new Counter({
    name: "vidra_infrahub_requests_total",
    help: 'HTTP requests to Infrahub by endpoint and status ("network-error" when none came back).',
    labelNames: ["endpoint", "status"],
    registers: [this.registry],
  });

  readonly infrahubLatency = new Histogram({
    name: "vidra_infrahub_request_duration_seconds",
    help: "Latency of HTTP requests to Infrahub by endpoint.",
    labelNames: ["endpoint"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly circuitState = new Gauge({
    name: "vidra_infrahub_circuit_state",
    help: "Circuit breaker per Infrahub address: 0 closed, 1 half-open, 2 open.",
    labelNames: ["address"],
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: "vidra_queue_depth",
    help: "Keys waiting in a work queue (not counting running or delayed ones).",
    labelNames: ["queue"],
    registers: [this.registry],
  });

  readonly queueRetries = new Counter({
    name: "vidra_queue_retries_total",
    help: "Failed reconciles scheduled for a retry with backoff.",
    labelNames: ["queue"],
    registers: [this.registry],
  });

  readonly kubeRequests = new Counter({
    name: "vidra_kube_requests_total",
    help: "Requests to Kubernetes API servers by method, status class and dry-run.",
    labelNames: ["method", "code", "dry_run"],
    registers: [this.registry],
  });

  readonly driftEvents = new Counter({
    name: "vidra_drift_detected_total",
    help: "Changes or deletions of applied objects that triggered a re-apply.",
    registers: [this.registry],
  });

  readonly webhookRequests = new Counter({
    name: "vidra_webhook_requests_total",
    help: "Requests to the Infrahub webhook receiver by outcome: accepted, unmatched (valid, no sync holds the artifact), ignored (not an artifact event), unsigned, bad_signature, stale, replayed (all 401), malformed (400), too_large (413), unknown_source, not_found (404), method_not_allowed (405), standby (503: another replica holds the lease).",
    labelNames: ["outcome"],
    registers: [this.registry],
  });

  readonly webhookTriggers = new Counter({
    name: "vidra_webhook_sync_triggers_total",
    help: "InfrahubSync fetches requested by webhook events (before coalescing).",
    registers: [this.registry],
  });

  readonly apiServerUp = new Gauge({
    name: "vidra_apiserver_up",
    help: "1 while the operator's API server answers its readiness probe, 0 during an outage.",
    registers: [this.registry],
  });

  readonly apiServerOutages = new Counter({
    name: "vidra_apiserver_outages_total",
    help: "Times the API server stopped answering (each outage counts once, however long).",
    registers: [this.registry],
  });

  readonly apiServerDownSeconds: Gauge = new Gauge({
    name: "vidra_apiserver_unreachable_seconds",
    help: "How long the current API-server outage has lasted (0 while it answers).",
    registers: [this.registry],
    collect: (): void => this.apiServerDownSeconds.set(this.downForMs() / 1000),
  });

  readonly apiServerLastOutage = new Gauge({
    name: "vidra_apiserver_last_outage_seconds",
    help: "How long the last API-server outage that ended lasted.",
    registers: [this.registry],
  });

  readonly watchGiveUps = new Counter({
    name: "vidra_watch_give_ups_total",
    help: "Pepr watches that gave up reconnecting; the operator then watches with its own watches.",
    registers: [this.registry],
  });

  private downForMs: () => number = () => 0;

  /** Where the current outage's length comes from (the running operator's monitor). */
  observeOutage(downForMs: () => number): void {
    this.downForMs = downForMs;
  }

  /**
   * What the operator keeps in memory per cache; read at scrape time from `observeCaches`. These
   * should follow the number of live syncs and VidraResources, never the number ever seen.
   */
  readonly cacheEntries = new Gauge({
    name: "vidra_cache_entries",
    help: "Entries kept in memory by cache (Infrahub clients, destinations, drift watches and what they remember).",
    labelNames: ["cache"],
    registers: [this.registry],
    collect: () => {
      for (const [cache, n] of Object.entries(this.cacheSizes()))
        this.cacheEntries.set({ cache }, n);
    },
  });

  private cacheSizes: () => Record<string, number> = () => ({});

  /** Where the cache sizes come from (the running operator). */
  observeCaches(sizes: () => Record<string, number>): void {
    this.cacheSizes = sizes;
  }

  readonly pollsOverdue = new Gauge({
    name: "vidra_syncs_poll_overdue",
    help: "InfrahubSyncs whose poll is due (late by over a quarter of its interval, at least 10 s) and waits for a worker.",
    registers: [this.registry],
  });

  readonly pollDelay = new Histogram({
    name: "vidra_poll_delay_seconds",
    help: "How late each poll of an InfrahubSync started after it was due (waiting for a worker).",
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });

  readonly leader = new Gauge({
    name: "vidra_leader",
    help: "1 while this replica holds its shard's lease and reconciles (always 1 without leader election), else 0.",
    registers: [this.registry],
  });

  readonly leaderTransitions = new Counter({
    name: "vidra_leader_transitions_total",
    help: "Times this replica started (event=started) or stopped (event=stopped) leading.",
    labelNames: ["event"],
    registers: [this.registry],
  });

  readonly fencedWrites = new Counter({
    name: "vidra_fenced_writes_total",
    help: "Writes refused before they were sent because this replica no longer held the lease.",
    registers: [this.registry],
  });

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
