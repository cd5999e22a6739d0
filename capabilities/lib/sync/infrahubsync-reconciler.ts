import { CachedKind } from "../cache/cached-kind";
import { StaleReadError } from "../cache/conditional-status";
import type { ObjectCache } from "../cache/object-cache";
import type { SecretCache } from "../cache/secret-cache";
import type { InfrahubClientRegistry } from "../infrahub";
import type { KubeClient } from "../kube/client";
import type { Logger } from "../logger";
import type { ReconcileResult } from "../queue/types";
import { getCondition } from "../status/conditions";
import type { EventRecorder } from "../status/events";
import {
  fetchArtifacts,
  removeGone,
  SuspiciousResultError,
  type ArtifactFetchDeps,
} from "./artifact-fetch";
import { FetchMemory, type PushRequest } from "./fetch-memory";
import {
  fetchTrigger,
  nextPollTime,
  oldestAcceptedAnswer,
  pollDueAt,
  requeueAfterFailure,
  requeueAt,
  retriedSoon,
} from "./fetch-timing";
import { intervalMs } from "./intervals";
import { artifactBatcher, type ArtifactBatcher } from "./lookup-batch";
import { SYNC_LABEL, SYNC_NOW_ANNOTATION } from "./markers";
import type { OperatorConfig } from "./operator-config";
import type { BatchReport } from "./poll-batcher";
import { PollSchedule, type OverduePoll } from "./poll-schedule";
import { RejectedArtifacts } from "./rejected-artifacts";
import {
  INFRAHUB_SYNCS_PATH,
  VIDRA_RESOURCES_PATH,
  type InfrahubSyncObject,
  type SyncTrigger,
  type VidraResourceObject,
  type WebhookStatus,
} from "./resources";
import { resumeWithSync, suspendWithSync } from "./suspension";
import { SyncStatusWriter, webhookStatus } from "./sync-status";

export type { PushRequest } from "./fetch-memory";

export interface InfrahubSyncReconcilerDeps {
  kube: KubeClient;
  infrahub: InfrahubClientRegistry;
  config: () => OperatorConfig;
  events: EventRecorder;
  logger: Logger;
  now?: () => Date;
  /**
   * Watch-fed caches (cache/): the syncs, VidraResources and credentials Secrets are read from
   * them instead of the API server at every poll. Without them every read is live.
   */
  caches?: {
    syncs: ObjectCache<InfrahubSyncObject>;
    resources: ObjectCache<VidraResourceObject>;
    secrets: SecretCache;
  };
  /** Concurrent artifact downloads per sync. */
  downloadConcurrency?: number;
  /** How late each poll started after it was due (metrics). */
  onPollDelay?: (ms: number) => void;
  /** A poll is overdue once late by a quarter of its interval, and at least this (default 10 s). */
  pollOverdueAfterMs?: number;
  /** How long a batch of lookups waits for more syncs of its group (default 50 ms). */
  pollBatchWindowMs?: number;
  /** Every batch of lookups sent (metrics). */
  onBatch?: (report: BatchReport) => void;
  /** Whether this watcher's shard holds a sync with these labels (default: every sync). */
  owns?: (labels: Record<string, string> | undefined) => boolean;
  onOutcome?: (o: {
    name: string;
    result: "changed" | "unchanged" | "failed" | "suspended" | "status-only";
    durationMs: number;
    downloads: number;
  }) => void;
}

/**
 * Turns Infrahub artifacts into VidraResources: one per artifact, named after the artifact id,
 * owned by the sync. Unchanged checksums cost no download and no write; VidraResources whose artifact
 * is gone are deleted only after a complete, successful and non-empty fetch.
 *
 * A run is a list of steps; each step's work is in its own module: what the last fetch saw and
 * what waits for the next run (fetch-memory.ts), whether and why a run fetches and when it comes
 * again (fetch-timing.ts), the fetch itself (artifact-fetch.ts, artifact-store.ts), and what the
 * status and Events say (sync-status.ts).
 */
export class InfrahubSyncReconciler {
  private readonly memory: FetchMemory;
  private readonly rejected = new RejectedArtifacts();
  /** When each sync's next poll is due: tells a poll waiting for a worker from one on time. */
  readonly polls: PollSchedule;
  /** Syncs sharing an Infrahub, branch and date are answered by one request (lookup-batch.ts). */
  private readonly batcher: ArtifactBatcher;

  private readonly syncReads: CachedKind<InfrahubSyncObject>;
  private readonly resourceReads: CachedKind<VidraResourceObject>;
  private readonly status: SyncStatusWriter;
  private readonly fetching: ArtifactFetchDeps;

  constructor(private readonly deps: InfrahubSyncReconcilerDeps) {
    this.polls = new PollSchedule(deps.pollOverdueAfterMs);
    this.memory = new FetchMemory(this.polls, name => deps.caches?.syncs.get(name));
    this.batcher = artifactBatcher({
      windowMs: deps.pollBatchWindowMs,
      dueOf: name => this.polls.entry(name),
      onBatch: deps.onBatch,
    });
    this.syncReads = new CachedKind(deps.kube, INFRAHUB_SYNCS_PATH, deps.caches?.syncs);
    this.resourceReads = new CachedKind(deps.kube, VIDRA_RESOURCES_PATH, deps.caches?.resources);
    const now = () => this.now();
    this.status = new SyncStatusWriter({
      kube: deps.kube,
      events: deps.events,
      syncs: deps.caches?.syncs,
      now,
    });
    this.fetching = {
      kube: deps.kube,
      infrahub: deps.infrahub,
      config: deps.config,
      now,
      batcher: this.batcher,
      secrets: deps.caches?.secrets,
      rejected: this.rejected,
      ownedResources: sync => this.ownedResources(sync),
      downloadConcurrency: deps.downloadConcurrency,
    };
  }

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }

  forget(uid: string, name?: string): void {
    if (name) this.polls.forget(name);
    if (name) this.batcher.forget(name);
    this.memory.forget(uid, name);
    this.deps.infrahub.release(uid);
    this.rejected.forget(uid);
  }

  /** Whether the sync's next run may fetch from Infrahub (FetchMemory.fetchDue). */
  fetchDue(name: string): boolean {
    return this.memory.fetchDue(name);
  }

  /** A VidraResource of the sync changed (the caller queues the run; FetchMemory.wantReadiness). */
  wantReadiness(name: string): void {
    this.memory.wantReadiness(name);
  }

  /** Whether the sync's next run refreshes readiness first (FetchMemory.readinessFirst). */
  readinessFirst(name: string): boolean {
    return this.memory.readinessFirst(name);
  }

  /** Forgets every fetch and pending push (leadership changed: another replica may have acted). */
  reset(): void {
    this.memory.reset();
    this.polls.reset();
    this.batcher.reset();
  }

  /**
   * Says in the sync's status that its poll is overdue (waiting for a worker); the condition goes
   * with the next status the sync's reconcile writes.
   */
  async markOverdue(o: OverduePoll): Promise<void> {
    try {
      await this.writeOverdue(o);
    } catch (err) {
      // Written from a stale cached sync: once more, from a live read.
      if (!(err instanceof StaleReadError)) throw err;
      await this.writeOverdue(o);
    }
  }

  private async writeOverdue(o: OverduePoll): Promise<void> {
    const sync = await this.syncReads.get(o.name);
    if (!sync || sync.metadata.deletionTimestamp) return;
    await this.status.overdue(sync, o);
  }

  /** Makes the sync's next run fetch (the caller queues the run; FetchMemory.push). */
  push(name: string, request: PushRequest): void {
    this.memory.push(name, request);
  }

  /** Webhook events not yet answered by a fetch (for tests and metrics). */
  get pendingPushes(): number {
    return this.memory.pendingPushes;
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    this.polls.started(name);
    try {
      return await this.reconcileOnce(name);
    } finally {
      this.polls.finished(name);
    }
  }

  private async reconcileOnce(name: string): Promise<ReconcileResult> {
    const started = Date.now();
    const outcome = (
      result: Parameters<NonNullable<InfrahubSyncReconcilerDeps["onOutcome"]>>[0]["result"],
      downloads = 0,
    ) => this.deps.onOutcome?.({ name, result, durationMs: Date.now() - started, downloads });
    // Taken before the sync is read: an event arriving from here on makes another run, whose
    // lookup then certainly comes after it.
    const { pushed, readinessWanted } = this.memory.take(name);
    const sync = await this.syncReads.get(name);
    // Gone, or moved to another shard since it was queued: that shard's watcher reconciles it.
    if (!sync || (this.deps.owns && !this.deps.owns(sync.metadata.labels))) {
      this.polls.forget(name);
      return;
    }
    const uid = sync.metadata.uid ?? name;
    // Deletion: the VidraResources are owned by the sync; garbage collection removes them and their
    // finalizers clean up the applied objects.
    if (sync.metadata.deletionTimestamp) {
      this.forget(uid, name);
      return;
    }
    const log = this.deps.logger.child({
      infrahubSync: name,
      generation: sync.metadata.generation,
    });
    if (sync.spec?.suspend) {
      this.polls.forget(name);
      const resources = await this.ownedResources(sync);
      await suspendWithSync(this.deps.kube, name, resources);
      await this.status.suspended(sync, resources.length);
      outcome("suspended");
      return;
    }
    // Resumed: its VidraResources go back to work even when Infrahub cannot be reached.
    if (getCondition(sync.status?.conditions, "Ready")?.reason === "Suspended")
      await resumeWithSync(this.deps.kube, await this.ownedResources(sync));
    const pollMs = intervalMs(sync.spec?.pollInterval, this.deps.config().requeueSyncAfterMs);
    const request = sync.metadata.annotations?.[SYNC_NOW_ANNOTATION];
    const last = this.memory.lastFetch(uid);
    const dueAt = pollDueAt(last, pollMs);
    const trigger = fetchTrigger(sync, request, last, pushed, dueAt);
    if (!trigger) {
      // A VidraResource changed: only the aggregated readiness can have moved.
      await this.refreshReadiness(sync);
      outcome("status-only");
      return requeueAt(dueAt, Date.now());
    }
    if (trigger === "Poll" && readinessWanted) {
      // Queued in the readiness lane (readinessFirst): the poll waits in its address's lane after,
      // still overdue if it was.
      await this.refreshReadiness(sync, { pollWaiting: true });
      outcome("status-only");
      return { requeueAfterMs: 0 };
    }
    if (trigger === "Poll") {
      const late = this.polls.lateness(name, Date.now());
      if (late !== undefined) this.deps.onPollDelay?.(late);
    }
    const webhook = (result: NonNullable<WebhookStatus["result"]>): WebhookStatus | undefined =>
      pushed && webhookStatus(pushed, result, this.now());
    const notBefore = oldestAcceptedAnswer(trigger, dueAt, pollMs, pushed, started);
    const remember = (failed: boolean, problems: string[] = [], nextAt?: number) =>
      this.memory.remember(uid, {
        at: Date.now(),
        generation: sync.metadata.generation,
        syncRequest: request,
        failed,
        problems,
        dueAt: nextAt,
      });
    try {
      const { changed, downloads, problems, group } = await this.fetchAndStore(
        sync,
        log,
        trigger,
        (changed: boolean) => webhook(changed ? "Changed" : "Unchanged"),
        {
          // A new sync-now request: a person may have fixed the account in Infrahub.
          retryRefused: request !== undefined && last?.syncRequest !== request,
          notBefore,
        },
      );
      const now = Date.now();
      const nextAt = nextPollTime(group, pollMs, now);
      remember(false, problems, nextAt);
      this.polls.scheduled(name, now, pollMs, nextAt);
      if (pushed)
        await this.status.pushAnswered(
          sync,
          pushed,
          changed ? "new content stored" : "nothing new",
        );
      outcome(changed ? "changed" : "unchanged", downloads);
      return requeueAt(nextAt, now);
    } catch (err) {
      remember(!(err instanceof SuspiciousResultError));
      // A retry is not a poll (the status says why it failed); a failure waiting for the next poll is.
      this.polls.scheduled(name, Date.now(), retriedSoon(err) ? 0 : pollMs);
      // Nothing failed but the cache's age: the retry reads the sync live.
      if (err instanceof StaleReadError) throw err;
      outcome("failed");
      await this.status.failed(sync, err, log, pollMs, webhook("Failed"));
      if (pushed) await this.status.pushAnswered(sync, pushed, "the fetch failed");
      return requeueAfterFailure(err, pollMs);
    }
  }

  /**
   * One fetch: looks up and stores the sync's artifacts, removes the VidraResources whose artifact
   * is gone, and says what it did (Events, then the status).
   */
  private async fetchAndStore(
    sync: InfrahubSyncObject,
    log: Logger,
    trigger: SyncTrigger,
    webhook: (changed: boolean) => WebhookStatus | undefined,
    opts: { retryRefused: boolean; notBefore: number },
  ): Promise<{ changed: boolean; downloads: number; problems: string[]; group?: string }> {
    const fetched = await fetchArtifacts(this.fetching, sync, log, opts);
    // Only now, with a complete answer in hand, remove what Infrahub no longer has.
    const gone = await removeGone(this.deps.kube, fetched);
    await this.status.recordFetch(sync, fetched, gone);
    const { found, downloads, stored, problems, group } = fetched;
    const changed = stored + gone.length > 0;
    // The list read at the start is still current when nothing was written.
    const resources = changed ? await this.ownedResources(sync, true) : fetched.existing;
    await this.status.fetched(sync, fetched.artifacts, problems, changed, resources, {
      ...(changed ? { lastSyncTrigger: trigger } : {}),
      ...(webhook(changed) ? { lastWebhook: webhook(changed) } : {}),
    });
    log.debug({ artifacts: found.length, downloads, stored, removed: gone.length }, "fetched");
    return { changed, downloads, problems, group };
  }

  /** Recomputes the sync's readiness from its VidraResources, without a fetch. */
  private async refreshReadiness(
    sync: InfrahubSyncObject,
    opts: { pollWaiting?: boolean } = {},
  ): Promise<void> {
    // Only called after a fetch in this process (a restart fetches first), which left its refusals.
    const rejected = this.memory.lastFetch(sync.metadata.uid ?? sync.metadata.name)?.problems ?? [];
    await this.status.readiness(sync, await this.ownedResources(sync), rejected, opts);
  }

  /** `live`: right after this process wrote them, which the watch may not show yet. */
  private async ownedResources(
    sync: InfrahubSyncObject,
    live = false,
  ): Promise<VidraResourceObject[]> {
    const selector = { [SYNC_LABEL]: sync.metadata.name };
    const items = live
      ? await this.resourceReads.listLive(selector)
      : await this.resourceReads.list(selector);
    // The label says which sync; the owner reference (uid) proves it is this incarnation's.
    return items.filter(vr => vr.metadata.ownerReferences?.some(o => o.uid === sync.metadata.uid));
  }
}
