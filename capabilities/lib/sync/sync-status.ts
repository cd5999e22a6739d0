import type { ObjectCache } from "../cache/object-cache";
import { patchCachedStatus } from "../cache/conditional-status";
import { errorMessage, isRetryable, OperatorError } from "../errors";
import { InfrahubError } from "../infrahub";
import type { KubeClient } from "../kube/client";
import type { Logger } from "../logger";
import {
  outcomeConditions,
  removeCondition,
  setCondition,
  type Condition,
} from "../status/conditions";
import type { EventRecorder } from "../status/events";
import { stateOf } from "../status/state";
import { SuspiciousResultError, type FetchedArtifacts } from "./artifact-fetch";
import type { PendingPush } from "./fetch-memory";
import { serverRequestedDelay } from "./fetch-timing";
import { involvedObject, SYNC_NOW_ANNOTATION } from "./markers";
import { POLL_OVERDUE_CONDITION, type OverduePoll } from "./poll-schedule";
import { CredentialsRefusedError } from "./refused-credentials";
import {
  infrahubSyncPath,
  type ArtifactStatus,
  type InfrahubSyncObject,
  type VidraResourceObject,
  type WebhookStatus,
} from "./resources";
import { syncReadiness } from "./sync-readiness";

/**
 * What an InfrahubSync's run says about it: the status it writes for each outcome (fetched,
 * readiness refreshed, suspended, failed, poll overdue) and the Events that go with them (Synced,
 * ArtifactRejected, WebhookTriggered, the failure's reason). Every write is a conditional patch of
 * the cached sync (patchCachedStatus); a status with conditions drops PollOverdue, since a run is
 * writing it. It exists apart from the reconciler so the reconciler's steps say what happened and
 * this module says how that reads to a person (status fields, messages, which repeats are quiet).
 */

type SyncStatus = NonNullable<InfrahubSyncObject["status"]>;

export interface SyncStatusDeps {
  kube: KubeClient;
  events: EventRecorder;
  /** The watch-fed cache of syncs each write keeps current (none: every read is live). */
  syncs?: ObjectCache<InfrahubSyncObject>;
  now: () => Date;
}

export class SyncStatusWriter {
  constructor(private readonly deps: SyncStatusDeps) {}

  /** After a fetch: the artifacts, their checksums, the readiness and when the sync last changed. */
  async fetched(
    sync: InfrahubSyncObject,
    artifacts: ArtifactStatus[],
    problems: string[],
    changed: boolean,
    resources: VidraResourceObject[],
    extra: Partial<SyncStatus>,
  ): Promise<void> {
    const status = sync.status ?? {};
    const readiness = withState(syncReadiness(sync, resources, problems, this.deps.now()));
    const checksums = [
      ...new Set(artifacts.map(a => a.checksum).filter((c): c is string => !!c)),
    ].sort();
    const state = readiness.syncState;
    await this.write(sync, {
      ...readiness,
      checksums,
      artifacts,
      artifactCount: artifacts.length,
      observedGeneration: sync.metadata.generation,
      lastHandledSyncRequest: sync.metadata.annotations?.[SYNC_NOW_ANNOTATION],
      ...(changed || status.syncState !== state || !status.lastSyncTime
        ? { lastSyncTime: this.deps.now().toISOString() }
        : {}),
      ...extra,
    });
  }

  /** The Events of a fetch: what it stored and removed, and the artifacts refused for the first time. */
  async recordFetch(
    sync: InfrahubSyncObject,
    fetched: FetchedArtifacts,
    gone: VidraResourceObject[],
  ): Promise<void> {
    const { stored, found, fresh } = fetched;
    const involved = this.involved(sync);
    if (stored + gone.length > 0) {
      const removed = gone.map(v => v.metadata.name).join(", ") || "none";
      await this.deps.events.record(
        involved,
        "Normal",
        "Synced",
        `${found.length} artifact(s) on ${sync.spec!.source.targetBranch}: ${stored} stored, ${gone.length} removed (${removed})`,
      );
    }
    if (fresh.length)
      await this.deps.events.record(involved, "Warning", "ArtifactRejected", fresh.join("; "));
  }

  /**
   * The readiness recomputed from the sync's VidraResources between fetches, with the refusals of
   * its last fetch.
   */
  async readiness(
    sync: InfrahubSyncObject,
    resources: VidraResourceObject[],
    rejected: string[],
    opts: { pollWaiting?: boolean } = {},
  ): Promise<void> {
    const conditions = syncReadiness(sync, resources, rejected, this.deps.now());
    // A poll still waiting for a worker keeps its PollOverdue condition (write drops it).
    if (opts.pollWaiting)
      await patchCachedStatus(
        this.deps.kube,
        infrahubSyncPath(sync.metadata.name),
        sync,
        withState(conditions),
        this.deps.syncs,
      );
    else await this.write(sync, withState(conditions));
  }

  /** spec.suspend: not Ready, for a reason that is no failure. */
  suspended(sync: InfrahubSyncObject, resourceCount: number): Promise<void> {
    const message = `spec.suspend is true; Infrahub is not polled and its ${resourceCount} VidraResource(s) are suspended`;
    return this.write(sync, {
      ...withState(
        outcomeConditions(
          sync.status?.conditions,
          { kind: "failed", reason: "Suspended", message, stalled: false },
          sync.metadata.generation,
          this.deps.now(),
        ),
      ),
      observedGeneration: sync.metadata.generation,
      lastHandledSyncRequest: sync.metadata.annotations?.[SYNC_NOW_ANNOTATION],
    });
  }

  /**
   * A failed fetch: the status says why and whether it is retried, and a Warning Event says so
   * too, except for a remembered refusal of the same credentials (no new occurrence).
   */
  async failed(
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
    await this.write(sync, {
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
          this.deps.now(),
        ),
      ),
      observedGeneration: sync.metadata.generation,
      // The request was acted on, even though the fetch failed: say so, or it looks ignored.
      lastHandledSyncRequest: sync.metadata.annotations?.[SYNC_NOW_ANNOTATION],
      ...(waiting
        ? { nextSyncTime: null as unknown as string }
        : pollMs > 0 && !retryable
          ? { nextSyncTime: new Date(this.deps.now().getTime() + pollMs).toISOString() }
          : {}),
      ...(lastWebhook ? { lastWebhook } : {}),
    }).catch(e => log.warn({ err: errorMessage(e) }, "could not write status"));
    if (!repeated)
      await this.deps.events.record(this.involved(sync), "Warning", reason, eventMessage);
  }

  /** The Event saying which webhook event(s) a fetch answered, and what came of it. */
  pushAnswered(sync: InfrahubSyncObject, pushed: PendingPush, result: string): Promise<void> {
    const more = pushed.count > 1 ? `; ${pushed.count} events answered by one fetch` : "";
    return this.deps.events.record(
      this.involved(sync),
      "Normal",
      "WebhookTriggered",
      `triggered by Infrahub webhook ${pushed.eventId} (${pushed.event}, artifact ${pushed.artifactId}${more}): ${result}`,
    );
  }

  /**
   * Says in the sync's status that its poll is overdue (waiting for a worker); the condition goes
   * with the next status the sync's reconcile writes.
   */
  overdue(sync: InfrahubSyncObject, o: OverduePoll): Promise<void> {
    const message =
      `the poll due at ${new Date(o.dueAt).toISOString()} has waited ${Math.round(o.lateMs / 1000)} s ` +
      "for a worker: more syncs poll this Infrahub than its workers can serve in their intervals " +
      "(raise VIDRA_SYNC_CONCURRENCY or the poll interval)";
    const conditions = setCondition(
      sync.status?.conditions,
      { type: POLL_OVERDUE_CONDITION, status: "True", reason: "WaitingForWorker", message },
      sync.metadata.generation,
      this.deps.now(),
    );
    return patchCachedStatus(
      this.deps.kube,
      infrahubSyncPath(o.name),
      sync,
      { conditions },
      this.deps.syncs,
    );
  }

  /** Any status with conditions is written by a reconcile that runs: the poll is no longer waiting. */
  private write(sync: InfrahubSyncObject, patch: Partial<SyncStatus>): Promise<void> {
    const next = patch.conditions
      ? { ...patch, conditions: removeCondition(patch.conditions, POLL_OVERDUE_CONDITION) }
      : patch;
    return patchCachedStatus(
      this.deps.kube,
      infrahubSyncPath(sync.metadata.name),
      sync,
      next,
      this.deps.syncs,
    );
  }

  private involved(sync: InfrahubSyncObject) {
    return involvedObject("InfrahubSync", sync);
  }
}

/** The status's lastWebhook: the webhook event(s) a fetch answered, and what came of it. */
export function webhookStatus(
  pushed: PendingPush,
  result: NonNullable<WebhookStatus["result"]>,
  fetchedAt: Date,
): WebhookStatus {
  return {
    eventId: pushed.eventId,
    event: pushed.event,
    artifactId: pushed.artifactId,
    receivedAt: pushed.receivedAt.toISOString(),
    fetchedAt: fetchedAt.toISOString(),
    result,
    coalesced: pushed.count,
  };
}

/** Conditions with the state and lastError they imply (see stateOf). */
function withState(
  conditions: Condition[],
): Pick<SyncStatus, "conditions" | "syncState" | "lastError"> {
  const { state, lastError } = stateOf(conditions);
  return { conditions, syncState: state, lastError };
}
