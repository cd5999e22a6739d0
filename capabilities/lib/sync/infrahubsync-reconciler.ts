import { createHash } from "node:crypto";
import { CachedKind } from "../cache/cached-kind";
import { patchCachedStatus, StaleReadError } from "../cache/conditional-status";
import type { ObjectCache } from "../cache/object-cache";
import { cachedSecrets, type SecretCache } from "../cache/secret-cache";
import { mapSettledLimit } from "../concurrency";
import { errorMessage, isRetryable, OperatorError } from "../errors";
import {
  ArtifactTooLargeError,
  InfrahubCircuitOpenError,
  InfrahubError,
  InfrahubTransientError,
  type InfrahubArtifact,
  type InfrahubClientRegistry,
} from "../infrahub";
import type { KubeClient } from "../kube/client";
import type { Logger } from "../logger";
import { MAX_MANIFEST_BYTES } from "../admission/manifest-check";
import { KubeApiError } from "../kube/errors";
import { ManifestError } from "../manifest/manifest-error";
import { checkWithoutCluster } from "../manifest/offline-check";
import { sharedParses } from "../manifest/parse-cache";
import { secretsIn, secretsRefusedMessage } from "./secret-policy";
import type { ReconcileResult } from "../queue/types";
import {
  getCondition,
  outcomeConditions,
  removeCondition,
  setCondition,
  type Condition,
} from "../status/conditions";
import type { EventRecorder } from "../status/events";
import { stateOf } from "../status/state";
import { describeArtifacts, lookupArtifacts, type Lookup } from "./artifact-lookup";
import { RejectedArtifacts, type Rejection } from "./rejected-artifacts";
import { CredentialsRefusedError } from "./refused-credentials";
import { intervalMs } from "./intervals";
import {
  API_VERSION,
  OPERATOR_FIELD_MANAGER,
  SYNC_LABEL,
  SYNC_NOW_ANNOTATION,
  TARGET_ANNOTATION,
} from "./markers";
import type { OperatorConfig } from "./operator-config";
import {
  INFRAHUB_SYNCS_PATH,
  infrahubSyncPath,
  VIDRA_RESOURCES_PATH,
  vidraResourcePath,
  type ArtifactStatus,
  type InfrahubSyncObject,
  type SyncTrigger,
  type VidraResourceObject,
  type WebhookStatus,
} from "./resources";
import { POLL_OVERDUE_CONDITION, PollSchedule, type OverduePoll } from "./poll-schedule";
import { pollLeewayMs, type BatchReport } from "./poll-batcher";
import { nextPollAt } from "./poll-grid";
import { artifactBatcher, type ArtifactBatcher } from "./lookup-batch";
import { resumeWithSync, suspendWithSync } from "./suspension";
import { syncReadiness } from "./sync-readiness";
import { secretScope } from "../tenancy/secret-refs";
import { artifactIdOf, collisionFreeName, holds, vidraResourceFor } from "./vidra-resource-spec";

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

/** An Infrahub webhook event (or several, coalesced) asking a sync to fetch. */
export interface PushRequest {
  eventId: string;
  event: string;
  artifactId: string;
  receivedAt: Date;
}

/** What the last fetch of a sync saw; kept in memory (a restart fetches everything once). */
interface FetchState {
  at: number;
  generation: number | undefined;
  syncRequest: string | undefined;
  failed: boolean;
  /** When the next poll is due (on its batch group's grid). */
  dueAt?: number;
  /** The artifacts it refused, as status lists them (the readiness between fetches keeps them). */
  problems: string[];
}

type SyncStatus = NonNullable<InfrahubSyncObject["status"]>;

/** What happened to one Ready artifact in a fetch. */
interface Stored {
  artifact: InfrahubArtifact;
  name?: string;
  checksum?: string;
  wrote: boolean;
  message?: string;
  /** This version was refused before, under the same settings: not downloaded again. */
  rejected?: Rejection;
}

/**
 * How often a sync whose credentials Infrahub refused looks at its Secret again (a read from the
 * API server, nothing sent to Infrahub), so a fixed Secret is used within this time.
 */
const CREDENTIALS_RECHECK_MS = 30_000;

const md5 = (s: string): string => createHash("md5").update(s, "utf8").digest("hex");

/** The API server refused the VidraResource that holds an artifact. */
class VidraResourceRefusedError extends OperatorError {
  constructor(name: string, err: KubeApiError) {
    super(`the API server refused its VidraResource ${name}: ${err.serverMessage ?? err.message}`, {
      reason: "ArtifactRejected",
      retryable: false,
      cause: err,
    });
  }
}

/** Refusals that depend on the artifact's content alone: the same version is refused again. */
const refusedForContent = (err: unknown): boolean =>
  err instanceof ManifestError || err instanceof ArtifactTooLargeError;

/** Infrahub answered, but with nothing where there was something: keep everything, say why. */
class SuspiciousResultError extends OperatorError {
  constructor(message: string) {
    super(message, { reason: "EmptyResult", retryable: false });
  }
}

/**
 * Turns Infrahub artifacts into VidraResources: one per artifact, named after the artifact id,
 * owned by the sync. Unchanged checksums cost no download and no write; VidraResources whose artifact
 * is gone are deleted only after a complete, successful and non-empty fetch.
 */
export class InfrahubSyncReconciler {
  private readonly fetches = new Map<string, FetchState>();
  private readonly rejected = new RejectedArtifacts();
  /** Webhook events waiting for the sync's next run, by sync name: the latest, and how many. */
  private readonly pushes = new Map<string, PushRequest & { count: number }>();
  /** Syncs whose VidraResources changed since their last run: their readiness may have moved. */
  private readonly readinessRequests = new Set<string>();
  /** When each sync's next poll is due: tells a poll waiting for a worker from one on time. */
  readonly polls: PollSchedule;
  /** Syncs sharing an Infrahub, branch and date are answered by one request (lookup-batch.ts). */
  private readonly batcher: ArtifactBatcher;

  private readonly syncReads: CachedKind<InfrahubSyncObject>;
  private readonly resourceReads: CachedKind<VidraResourceObject>;

  constructor(private readonly deps: InfrahubSyncReconcilerDeps) {
    this.polls = new PollSchedule(deps.pollOverdueAfterMs);
    this.batcher = artifactBatcher({
      windowMs: deps.pollBatchWindowMs,
      dueOf: name => this.polls.entry(name),
      onBatch: deps.onBatch,
    });
    this.syncReads = new CachedKind(deps.kube, INFRAHUB_SYNCS_PATH, deps.caches?.syncs);
    this.resourceReads = new CachedKind(deps.kube, VIDRA_RESOURCES_PATH, deps.caches?.resources);
  }

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }

  forget(uid: string, name?: string): void {
    if (name) this.polls.forget(name);
    if (name) this.batcher.forget(name);
    if (name) this.readinessRequests.delete(name);
    this.fetches.delete(uid);
    this.deps.infrahub.release(uid);
    this.rejected.forget(uid);
  }

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
    const sync = this.deps.caches?.syncs.get(name);
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

  /** Forgets every fetch and pending push (leadership changed: another replica may have acted). */
  reset(): void {
    this.fetches.clear();
    this.pushes.clear();
    this.readinessRequests.clear();
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
    const message =
      `the poll due at ${new Date(o.dueAt).toISOString()} has waited ${Math.round(o.lateMs / 1000)} s ` +
      "for a worker: more syncs poll this Infrahub than its workers can serve in their intervals " +
      "(raise VIDRA_SYNC_CONCURRENCY or the poll interval)";
    const conditions = setCondition(
      sync.status?.conditions,
      { type: POLL_OVERDUE_CONDITION, status: "True", reason: "WaitingForWorker", message },
      sync.metadata.generation,
      this.now(),
    );
    await patchCachedStatus(
      this.deps.kube,
      infrahubSyncPath(o.name),
      sync,
      { conditions },
      this.deps.caches?.syncs,
    );
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
    const pushed = this.pushes.get(name);
    this.pushes.delete(name);
    const readinessWanted = this.readinessRequests.delete(name);
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
      const message = `spec.suspend is true; Infrahub is not polled and its ${resources.length} VidraResource(s) are suspended`;
      await this.writeStatus(sync, {
        ...withState(
          outcomeConditions(
            sync.status?.conditions,
            { kind: "failed", reason: "Suspended", message, stalled: false },
            sync.metadata.generation,
            this.now(),
          ),
        ),
        observedGeneration: sync.metadata.generation,
        lastHandledSyncRequest: sync.metadata.annotations?.[SYNC_NOW_ANNOTATION],
      });
      outcome("suspended");
      return;
    }
    // Resumed: its VidraResources go back to work even when Infrahub cannot be reached.
    if (getCondition(sync.status?.conditions, "Ready")?.reason === "Suspended")
      await resumeWithSync(this.deps.kube, await this.ownedResources(sync));
    const pollMs = intervalMs(sync.spec?.pollInterval, this.deps.config().requeueSyncAfterMs);
    const request = sync.metadata.annotations?.[SYNC_NOW_ANNOTATION];
    const last = this.fetches.get(uid);
    const dueAt = last && pollMs > 0 ? (last.dueAt ?? last.at + pollMs) : undefined;
    const fetchDue =
      !!pushed ||
      !last ||
      last.failed ||
      last.generation !== sync.metadata.generation ||
      last.syncRequest !== request ||
      (dueAt !== undefined && Date.now() >= dueAt);
    if (!fetchDue) {
      // A VidraResource changed: only the aggregated readiness can have moved.
      await this.refreshReadiness(sync);
      outcome("status-only");
      return dueAt !== undefined ? { requeueAfterMs: Math.max(0, dueAt - Date.now()) } : undefined;
    }
    const trigger: SyncTrigger = pushed
      ? "Webhook"
      : !last || last.generation !== sync.metadata.generation
        ? "Spec"
        : last.failed
          ? "Retry"
          : last.syncRequest !== request
            ? "SyncNow"
            : "Poll";
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
      pushed && {
        eventId: pushed.eventId,
        event: pushed.event,
        artifactId: pushed.artifactId,
        receivedAt: pushed.receivedAt.toISOString(),
        fetchedAt: this.now().toISOString(),
        result,
        coalesced: pushed.count,
      };
    // The oldest batched answer this fetch accepts: a poll's from shortly before it was due, a
    // webhook's from after the event, anything else only a new one.
    const notBefore =
      trigger === "Poll" && dueAt !== undefined
        ? dueAt - pollLeewayMs(pollMs)
        : pushed
          ? pushed.receivedAt.getTime()
          : started;
    const remember = (failed: boolean, problems: string[] = [], nextAt?: number) =>
      this.fetches.set(uid, {
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
        // A new sync-now request: a person may have fixed the account in Infrahub.
        request !== undefined && last?.syncRequest !== request,
        notBefore,
      );
      const now = Date.now();
      const nextAt =
        pollMs > 0 ? (group ? nextPollAt(group, pollMs, now) : now + pollMs) : undefined;
      remember(false, problems, nextAt);
      this.polls.scheduled(name, now, pollMs, nextAt);
      if (pushed)
        await this.recordPush(sync, pushed, changed ? "new content stored" : "nothing new");
      outcome(changed ? "changed" : "unchanged", downloads);
      return nextAt !== undefined ? { requeueAfterMs: Math.max(0, nextAt - now) } : undefined;
    } catch (err) {
      remember(!(err instanceof SuspiciousResultError));
      // A retry is not a poll (the status says why it failed); a failure waiting for the next poll is.
      const retrying = isRetryable(err) || serverRequestedDelay(err) !== undefined;
      this.polls.scheduled(name, Date.now(), retrying ? 0 : pollMs);
      // Nothing failed but the cache's age: the retry reads the sync live.
      if (err instanceof StaleReadError) throw err;
      outcome("failed");
      await this.recordFailure(sync, err, log, pollMs, webhook("Failed"));
      if (pushed) await this.recordPush(sync, pushed, "the fetch failed");
      // When Infrahub said when to come back (circuit open, Retry-After), come back then.
      const waitMs = serverRequestedDelay(err);
      if (waitMs !== undefined) return { requeueAfterMs: waitMs };
      if (isRetryable(err)) throw err;
      if (err instanceof CredentialsRefusedError)
        return {
          requeueAfterMs:
            pollMs > 0 ? Math.min(pollMs, CREDENTIALS_RECHECK_MS) : CREDENTIALS_RECHECK_MS,
        };
      return pollMs > 0 ? { requeueAfterMs: pollMs } : undefined;
    }
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

  private async fetchAndStore(
    sync: InfrahubSyncObject,
    log: Logger,
    trigger: SyncTrigger,
    webhook: (changed: boolean) => WebhookStatus | undefined,
    retryRefused: boolean,
    notBefore: number,
  ): Promise<{ changed: boolean; downloads: number; problems: string[]; group?: string }> {
    const spec = sync.spec!;
    const uid = sync.metadata.uid ?? sync.metadata.name;
    const source = spec.source;
    const secrets = this.deps.caches?.secrets;
    // The Secrets this lookup reads stay watched; those it no longer reads are let go.
    secrets?.beginRound(sync.metadata.name);
    const lookup = await lookupArtifacts(
      {
        ...this.deps,
        queryName: this.deps.config().queryName,
        secretScope: secretScope(spec, this.deps.config().tenancy.allowCrossNamespaceSecretRefs),
        batcher: this.batcher,
        secrets: secrets && cachedSecrets(secrets, sync.metadata.name),
      },
      sync,
      this.now(),
      { retryRefused, notBefore },
    ).finally(() => secrets?.endRound(sync.metadata.name));
    const { result } = lookup;
    const existing = await this.ownedResources(sync);
    // Suspensions left behind by a pass that stopped half way (none, almost always).
    await resumeWithSync(this.deps.kube, existing);
    const byArtifact = new Map(existing.map(vr => [artifactIdOf(vr), vr]));
    const found = [...result.ready, ...result.notReady.map(n => n.artifact)];
    if (found.length === 0 && existing.length > 0 && !spec.allowEmpty) {
      throw new SuspiciousResultError(
        `Infrahub returned no artifact named ${source.artefactName} on branch ${source.targetBranch}; keeping the ${existing.length} ` +
          "VidraResource(s) and their objects. Set spec.allowEmpty: true if removing everything is intended",
      );
    }

    const statuses = new Map<string, ArtifactStatus>();
    const keep = (artifact: InfrahubArtifact, why: string) => {
      const vr = byArtifact.get(artifact.id);
      statuses.set(artifact.id, {
        ...artifactStatus(artifact, vr),
        checksum: vr?.spec?.checksum,
        message: `not applied: ${why}${vr ? "; the previous version stays applied" : ""}`,
      });
    };
    for (const n of result.notReady) keep(n.artifact, n.reason);

    // A refusal holds for that version under these settings (see RejectedArtifacts).
    const context = JSON.stringify([sync.metadata.generation, this.deps.config().refuseSecrets]);
    const refused = new Map<string, Rejection>();
    for (const a of result.ready) {
      const r = holds(byArtifact.get(a.id), a.checksum, sync)
        ? undefined
        : this.rejected.recall(uid, a, context);
      if (r) refused.set(a.id, r);
    }
    const stale = result.ready.filter(
      a => !holds(byArtifact.get(a.id), a.checksum, sync) && !refused.has(a.id),
    );
    const details =
      source.discovery === "GraphQL"
        ? new Map<string, InfrahubArtifact>()
        : await describeArtifacts(lookup, stale, log);
    let downloads = 0;
    const outcomes = await mapSettledLimit(
      result.ready,
      this.deps.downloadConcurrency ?? 4,
      async (artifact): Promise<Stored> => {
        const vr = byArtifact.get(artifact.id);
        const rejected = refused.get(artifact.id);
        if (rejected) return { artifact, wrote: false, rejected };
        if (!stale.includes(artifact))
          return {
            artifact,
            name: vr?.metadata.name,
            checksum: artifact.checksum ?? undefined,
            wrote: false,
          };
        const full = details.get(artifact.id) ?? artifact;
        if (full.status && full.status !== "Ready")
          return { artifact: full, wrote: false, message: `artifact status is ${full.status}` };
        downloads++;
        return this.store(sync, lookup, full, vr);
      },
    );

    const problems: string[] = [];
    /** Refusals seen for the first time: only these make an Event. */
    const fresh: string[] = [];
    const stillRefused = new Set(refused.keys());
    outcomes.forEach((o, i) => {
      const artifact = result.ready[i];
      if (o.status === "rejected") {
        if (isRetryable(o.reason) && !(o.reason instanceof ManifestError)) throw o.reason;
        const why = errorMessage(o.reason);
        const target =
          details.get(artifact.id)?.targetLabel ??
          artifact.targetLabel ??
          byArtifact.get(artifact.id)?.metadata.annotations?.[TARGET_ANNOTATION] ??
          undefined;
        const problem = `artifact ${artifact.id}${target ? ` (${target})` : ""}: ${why}`;
        problems.push(problem);
        fresh.push(problem);
        keep({ ...artifact, targetLabel: target ?? null }, why);
        if (refusedForContent(o.reason)) {
          this.rejected.remember(uid, artifact, { context, problem, why, target });
          stillRefused.add(artifact.id);
        }
      } else if (o.value.rejected) {
        const r = o.value.rejected;
        problems.push(r.problem);
        keep({ ...artifact, targetLabel: r.target ?? artifact.targetLabel }, r.why);
      } else if (o.value.message) {
        keep(o.value.artifact, o.value.message);
      } else {
        // Fields from the lookup only, so a poll that changes nothing writes the same status.
        const target = o.value.artifact.targetLabel ?? undefined;
        statuses.set(artifact.id, {
          ...artifactStatus(artifact, byArtifact.get(artifact.id), o.value.name, target),
          checksum: o.value.checksum,
        });
      }
    });

    this.rejected.retain(uid, stillRefused);
    // Only now, with a complete answer in hand, remove what Infrahub no longer has.
    const foundIds = new Set(found.map(a => a.id));
    const gone = existing.filter(vr => !foundIds.has(artifactIdOf(vr)));
    for (const vr of gone)
      await this.deps.kube.delete(vidraResourcePath(vr.metadata.name), { uid: vr.metadata.uid });
    const stored = outcomes.filter(o => o.status === "fulfilled" && o.value.wrote).length;
    const involved = this.involved(sync);
    if (stored + gone.length > 0) {
      const removed = gone.map(v => v.metadata.name).join(", ") || "none";
      await this.deps.events.record(
        involved,
        "Normal",
        "Synced",
        `${found.length} artifact(s) on ${source.targetBranch}: ${stored} stored, ${gone.length} removed (${removed})`,
      );
    }
    if (fresh.length)
      await this.deps.events.record(involved, "Warning", "ArtifactRejected", fresh.join("; "));
    const artifacts = [...statuses.values()].sort((a, b) =>
      (a.target ?? a.id).localeCompare(b.target ?? b.id),
    );
    const changed = stored + gone.length > 0;
    // The list read at the start is still current when nothing was written.
    const resources = changed ? await this.ownedResources(sync, true) : existing;
    await this.writeOutcome(sync, artifacts, problems, changed, resources, {
      ...(changed ? { lastSyncTrigger: trigger } : {}),
      ...(webhook(changed) ? { lastWebhook: webhook(changed) } : {}),
    });
    log.debug({ artifacts: found.length, downloads, stored, removed: gone.length }, "fetched");
    return { changed, downloads, problems, group: lookup.group };
  }

  /** Downloads one artifact, checks that it parses, and stores it in its VidraResource. */
  private async store(
    sync: InfrahubSyncObject,
    lookup: Lookup,
    artifact: InfrahubArtifact,
    vr: VidraResourceObject | undefined,
  ): Promise<Stored> {
    const content = await lookup.client.downloadArtifact(artifact, {
      branch: lookup.branch,
      at: lookup.at,
    });
    const checksum = artifact.checksum ?? md5(content);
    if (holds(vr, checksum, sync))
      return { artifact, name: vr?.metadata.name, checksum, wrote: false };
    // What the VidraResource admission checks, checked here first, so a refusal reads as the
    // artifact's problem rather than as a refused write.
    const objects = sharedParses.parse(content, { maxBytes: MAX_MANIFEST_BYTES });
    if (objects.length === 0 && !sync.spec?.allowEmpty) {
      throw new ManifestError([
        { message: "the artifact has no Kubernetes objects (set spec.allowEmpty: true to allow)" },
      ]);
    }
    checkWithoutCluster(objects, sync.spec?.destination?.namespace);
    const secrets = this.deps.config().refuseSecrets ? secretsIn(objects) : [];
    if (secrets.length)
      throw new ManifestError([{ message: `the artifact ${secretsRefusedMessage(secrets)}` }]);
    const name = vr?.metadata.name ?? (await collisionFreeName(this.deps.kube, artifact.id, sync));
    try {
      await this.deps.kube.apply(
        vidraResourcePath(name),
        vidraResourceFor(sync, artifact, name, content, checksum),
        {
          fieldManager: OPERATOR_FIELD_MANAGER,
          force: true,
        },
      );
    } catch (err) {
      if (err instanceof KubeApiError && !err.retryable && err.status !== 0)
        throw new VidraResourceRefusedError(name, err);
      throw err;
    }
    return { artifact, name, checksum, wrote: true };
  }

  private involved(sync: InfrahubSyncObject) {
    return {
      apiVersion: API_VERSION,
      kind: "InfrahubSync",
      name: sync.metadata.name,
      uid: sync.metadata.uid,
    };
  }

  private async refreshReadiness(
    sync: InfrahubSyncObject,
    opts: { pollWaiting?: boolean } = {},
  ): Promise<void> {
    // Only called after a fetch in this process (a restart fetches first), which left its refusals.
    const rejected = this.fetches.get(sync.metadata.uid ?? sync.metadata.name)?.problems ?? [];
    const conditions = syncReadiness(sync, await this.ownedResources(sync), rejected, this.now());
    // A poll still waiting for a worker keeps its PollOverdue condition (writeStatus drops it).
    if (opts.pollWaiting)
      await patchCachedStatus(
        this.deps.kube,
        infrahubSyncPath(sync.metadata.name),
        sync,
        withState(conditions),
        this.deps.caches?.syncs,
      );
    else await this.writeStatus(sync, withState(conditions));
  }

  private async writeOutcome(
    sync: InfrahubSyncObject,
    artifacts: ArtifactStatus[],
    problems: string[],
    changed: boolean,
    resources: VidraResourceObject[],
    extra: Partial<SyncStatus>,
  ): Promise<void> {
    const status = sync.status ?? {};
    const readiness = withState(syncReadiness(sync, resources, problems, this.now()));
    const checksums = [
      ...new Set(artifacts.map(a => a.checksum).filter((c): c is string => !!c)),
    ].sort();
    const state = readiness.syncState;
    await this.writeStatus(sync, {
      ...readiness,
      checksums,
      artifacts,
      artifactCount: artifacts.length,
      observedGeneration: sync.metadata.generation,
      lastHandledSyncRequest: sync.metadata.annotations?.[SYNC_NOW_ANNOTATION],
      ...(changed || status.syncState !== state || !status.lastSyncTime
        ? { lastSyncTime: this.now().toISOString() }
        : {}),
      ...extra,
    });
  }

  private async recordFailure(
    sync: InfrahubSyncObject,
    err: unknown,
    log: Logger,
    pollMs: number,
    lastWebhook: WebhookStatus | undefined,
  ): Promise<void> {
    const reason = err instanceof OperatorError ? err.reason : "FetchFailed";
    const retryable = isRetryable(err);
    // An error that already says it is tried again (or when) needs no "retrying" after it.
    const said = errorMessage(err);
    const retrying =
      retryable && serverRequestedDelay(err) === undefined && !/\bretried\b/.test(said);
    const withRetry = (text: string) =>
      retrying ? `${text.replace(/\.$/, "")}; retrying with backoff` : text;
    const message = withRetry(said);
    // Events fold repeats of one message: theirs leaves out what changes at every try.
    const eventMessage = withRetry(err instanceof OperatorError ? err.eventMessage : said);
    const before = sync.status?.conditions?.find(c => c.type === "Ready");
    // Refused credentials are not sent again: a remembered refusal is no new occurrence, and the
    // next sync waits for the Secret, not for the poll interval.
    const waiting = err instanceof CredentialsRefusedError;
    const repeated =
      waiting && err.remembered && before?.reason === reason && before.message === message;
    log.warn(
      {
        reason,
        err: errorMessage(err),
        retryable,
        ...(err instanceof InfrahubError ? { endpoint: err.endpoint } : {}),
      },
      "sync failed; nothing was removed",
    );
    await this.writeStatus(sync, {
      ...withState(
        outcomeConditions(
          sync.status?.conditions,
          {
            kind: "failed",
            reason,
            message,
            stalled: !retryable && !(err instanceof SuspiciousResultError),
          },
          sync.metadata.generation,
          this.now(),
        ),
      ),
      observedGeneration: sync.metadata.generation,
      // The request was acted on, even though the fetch failed: say so, or it looks ignored.
      lastHandledSyncRequest: sync.metadata.annotations?.[SYNC_NOW_ANNOTATION],
      ...(waiting
        ? { nextSyncTime: null as unknown as string }
        : pollMs > 0 && !retryable
          ? { nextSyncTime: new Date(this.now().getTime() + pollMs).toISOString() }
          : {}),
      ...(lastWebhook ? { lastWebhook } : {}),
    }).catch(e => log.warn({ err: errorMessage(e) }, "could not write status"));
    if (!repeated)
      await this.deps.events.record(this.involved(sync), "Warning", reason, eventMessage);
  }

  private recordPush(
    sync: InfrahubSyncObject,
    pushed: PushRequest & { count: number },
    result: string,
  ): Promise<void> {
    const more = pushed.count > 1 ? `; ${pushed.count} events answered by one fetch` : "";
    return this.deps.events.record(
      this.involved(sync),
      "Normal",
      "WebhookTriggered",
      `triggered by Infrahub webhook ${pushed.eventId} (${pushed.event}, artifact ${pushed.artifactId}${more}): ${result}`,
    );
  }

  /** Any status with conditions is written by a reconcile that runs: the poll is no longer waiting. */
  private writeStatus(sync: InfrahubSyncObject, patch: Partial<SyncStatus>): Promise<void> {
    const next = patch.conditions
      ? { ...patch, conditions: removeCondition(patch.conditions, POLL_OVERDUE_CONDITION) }
      : patch;
    return patchCachedStatus(
      this.deps.kube,
      infrahubSyncPath(sync.metadata.name),
      sync,
      next,
      this.deps.caches?.syncs,
    );
  }
}

/** Conditions with the state and lastError they imply (see stateOf). */
function withState(
  conditions: Condition[],
): Pick<SyncStatus, "conditions" | "syncState" | "lastError"> {
  const { state, lastError } = stateOf(conditions);
  return { conditions, syncState: state, lastError };
}

function serverRequestedDelay(err: unknown): number | undefined {
  if (err instanceof InfrahubCircuitOpenError) return Math.max(1000, err.retryAt - Date.now());
  if (err instanceof InfrahubTransientError && err.retryAfterMs !== undefined)
    return Math.max(1000, err.retryAfterMs);
  return undefined;
}

/** The status entry of an artifact; the target comes from its VidraResource when the lookup lacks it. */
function artifactStatus(
  a: InfrahubArtifact,
  vr: VidraResourceObject | undefined,
  name = vr?.metadata.name,
  knownTarget?: string,
): ArtifactStatus {
  const s: ArtifactStatus = { id: a.id };
  const target = a.targetLabel ?? knownTarget ?? vr?.metadata.annotations?.[TARGET_ANNOTATION];
  if (a.name) s.name = a.name;
  if (target) s.target = target;
  if (a.targetId) s.targetId = a.targetId;
  if (a.storageId) s.storageId = a.storageId;
  if (a.status) s.status = a.status;
  if (name) s.vidraResource = name;
  return s;
}
