import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { mapSettledLimit } from "../concurrency";
import { parseDuration } from "../duration";
import { errorMessage, isRetryable, OperatorError } from "../errors";
import {
  InfrahubCircuitOpenError,
  InfrahubTransientError,
  type FindResult,
  type InfrahubArtifact,
  type InfrahubClient,
  type InfrahubClientRegistry,
} from "../infrahub";
import type { KubeClient } from "../kube/client";
import type { Logger } from "../logger";
import { ManifestError } from "../manifest/manifest-error";
import { parseManifest } from "../manifest/parse";
import type { ReconcileResult } from "../queue/types";
import { patchStatusIfChanged } from "../status/status-diff";
import { getCondition, outcomeConditions, type Condition } from "../status/conditions";
import type { EventRecorder } from "../status/events";
import { parseTargetDate } from "../target-date";
import { resolveInfrahub } from "./credentials";
import {
  API_VERSION,
  ARTIFACT_ANNOTATION,
  OPERATOR_FIELD_MANAGER,
  SYNC_LABEL,
  SYNC_NOW_ANNOTATION,
  TARGET_ANNOTATION,
  VIDRA_RESOURCE_FINALIZER,
} from "./markers";
import type { OperatorConfig } from "./operator-config";
import {
  infrahubSyncPath,
  VIDRA_RESOURCES_PATH,
  vidraResourcePath,
  type ArtifactStatus,
  type InfrahubSyncObject,
  type VidraResourceObject,
} from "./resources";

/** On VidraResources made by a sync: the artifact id (the name may differ when two syncs share one artifact). */
export const ARTIFACT_ID_ANNOTATION = `${ARTIFACT_ANNOTATION}-id`;

export interface InfrahubSyncReconcilerDeps {
  kube: KubeClient;
  infrahub: InfrahubClientRegistry;
  config: () => OperatorConfig;
  events: EventRecorder;
  logger: Logger;
  now?: () => Date;
  /** Concurrent artifact downloads per sync. */
  downloadConcurrency?: number;
  onOutcome?: (o: {
    result: "changed" | "unchanged" | "failed" | "suspended" | "status-only";
    durationMs: number;
    downloads: number;
  }) => void;
}

/** What the last fetch of a sync saw; kept in memory (a restart fetches everything once). */
interface FetchState {
  at: number;
  generation: number | undefined;
  syncRequest: string | undefined;
  failed: boolean;
}

type SyncStatus = NonNullable<InfrahubSyncObject["status"]>;

const md5 = (s: string): string => createHash("md5").update(s, "utf8").digest("hex");

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

  constructor(private readonly deps: InfrahubSyncReconcilerDeps) {}

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }

  forget(uid: string): void {
    this.fetches.delete(uid);
  }

  private pollInterval(sync: InfrahubSyncObject): number {
    const v = sync.spec?.pollInterval;
    if (v) {
      try {
        return parseDuration(v);
      } catch {
        // admission rejects bad durations
      }
    }
    return this.deps.config().requeueSyncAfterMs;
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const started = Date.now();
    const sync = await this.deps.kube.getOptional<InfrahubSyncObject>(infrahubSyncPath(name));
    if (!sync) return;
    const uid = sync.metadata.uid ?? name;
    // Deletion: the VidraResources are owned by the sync; garbage collection removes them and their
    // finalizers clean up the applied objects.
    if (sync.metadata.deletionTimestamp) {
      this.forget(uid);
      return;
    }
    const log = this.deps.logger.child({
      infrahubSync: name,
      generation: sync.metadata.generation,
    });
    if (sync.spec?.suspend) {
      await this.writeStatus(sync, {
        conditions: outcomeConditions(
          sync.status?.conditions,
          {
            kind: "failed",
            reason: "Suspended",
            message: "spec.suspend is true; Infrahub is not polled",
            stalled: false,
          },
          sync.metadata.generation,
          this.now(),
        ),
        observedGeneration: sync.metadata.generation,
      });
      this.deps.onOutcome?.({
        result: "suspended",
        durationMs: Date.now() - started,
        downloads: 0,
      });
      return;
    }
    const pollMs = this.pollInterval(sync);
    const request = sync.metadata.annotations?.[SYNC_NOW_ANNOTATION];
    const last = this.fetches.get(uid);
    const dueAt = last && pollMs > 0 ? last.at + pollMs : undefined;
    const fetchDue =
      !last ||
      last.failed ||
      last.generation !== sync.metadata.generation ||
      last.syncRequest !== request ||
      (dueAt !== undefined && Date.now() >= dueAt);
    if (!fetchDue) {
      // A VidraResource changed: only the aggregated readiness can have moved.
      await this.refreshReadiness(sync);
      this.deps.onOutcome?.({
        result: "status-only",
        durationMs: Date.now() - started,
        downloads: 0,
      });
      return dueAt !== undefined ? { requeueAfterMs: Math.max(0, dueAt - Date.now()) } : undefined;
    }
    try {
      const { changed, downloads } = await this.fetchAndStore(sync, log);
      this.fetches.set(uid, {
        at: Date.now(),
        generation: sync.metadata.generation,
        syncRequest: request,
        failed: false,
      });
      this.deps.onOutcome?.({
        result: changed ? "changed" : "unchanged",
        durationMs: Date.now() - started,
        downloads,
      });
      return pollMs > 0 ? { requeueAfterMs: pollMs } : undefined;
    } catch (err) {
      this.fetches.set(uid, {
        at: Date.now(),
        generation: sync.metadata.generation,
        syncRequest: request,
        failed: !(err instanceof SuspiciousResultError),
      });
      this.deps.onOutcome?.({ result: "failed", durationMs: Date.now() - started, downloads: 0 });
      await this.recordFailure(sync, err, log, pollMs);
      // When Infrahub said when to come back (circuit open, Retry-After), come back then.
      const waitMs = serverRequestedDelay(err);
      if (waitMs !== undefined) return { requeueAfterMs: waitMs };
      if (isRetryable(err)) throw err;
      return pollMs > 0 ? { requeueAfterMs: pollMs } : undefined;
    }
  }

  private async find(
    sync: InfrahubSyncObject,
  ): Promise<{ result: FindResult; at?: Date; client: InfrahubClient }> {
    const source = sync.spec!.source;
    const resolved = await resolveInfrahub(this.deps.kube, source);
    const client = this.deps.infrahub.get(resolved.connection);
    const at = source.targetDate ? parseTargetDate(source.targetDate, this.now()) : undefined;
    const branch = source.targetBranch || "main";
    const result =
      source.discovery === "GraphQL"
        ? await client.findArtifacts({
            branch,
            at,
            artifactNames: [source.artefactName],
            definitionName: source.definitionName || undefined,
            targetIds: source.targetIds?.length ? source.targetIds : undefined,
          })
        : await client.findArtifactsByStoredQuery({
            queryName: source.queryName || this.deps.config().queryName,
            artifactName: source.artefactName,
            branch,
            at,
          });
    return { result, at, client };
  }

  private async ownedResources(sync: InfrahubSyncObject): Promise<VidraResourceObject[]> {
    const list = await this.deps.kube.list<VidraResourceObject>(VIDRA_RESOURCES_PATH, {
      labelSelector: `${SYNC_LABEL}=${sync.metadata.name}`,
    });
    // The label says which sync; the owner reference (uid) proves it is this incarnation's.
    return list.items.filter(vr =>
      vr.metadata.ownerReferences?.some(o => o.uid === sync.metadata.uid),
    );
  }

  private async fetchAndStore(
    sync: InfrahubSyncObject,
    log: Logger,
  ): Promise<{ changed: boolean; downloads: number }> {
    const spec = sync.spec!;
    const source = spec.source;
    const { result, at, client } = await this.find(sync);
    const existing = await this.ownedResources(sync);
    const byArtifact = new Map(
      existing.map(vr => [
        vr.metadata.annotations?.[ARTIFACT_ID_ANNOTATION] ?? vr.metadata.name,
        vr,
      ]),
    );
    const found = [...result.ready, ...result.notReady.map(n => n.artifact)];
    if (found.length === 0 && existing.length > 0 && !spec.allowEmpty) {
      throw new SuspiciousResultError(
        `Infrahub returned no artifact named ${source.artefactName} on branch ${source.targetBranch}; keeping the ${existing.length} ` +
          "VidraResource(s) and their objects. Set spec.allowEmpty: true if removing everything is intended",
      );
    }

    const statuses = new Map<string, ArtifactStatus>();
    for (const n of result.notReady) {
      const vr = byArtifact.get(n.artifact.id);
      statuses.set(n.artifact.id, {
        ...artifactStatus(n.artifact, vr?.metadata.name),
        checksum: vr?.spec?.checksum,
        message: `not applied: ${n.reason}${vr ? "; the previous version stays applied" : ""}`,
      });
    }
    let downloads = 0;
    let writes = 0;
    const problems: string[] = [];
    const outcomes = await mapSettledLimit(
      result.ready,
      this.deps.downloadConcurrency ?? 4,
      async artifact => {
        const vr = byArtifact.get(artifact.id);
        const desired = this.desiredSpec(sync);
        if (
          vr &&
          artifact.checksum &&
          vr.spec?.checksum === artifact.checksum &&
          sameSpec(vr, desired)
        ) {
          return { artifact, name: vr.metadata.name, checksum: artifact.checksum, wrote: false };
        }
        downloads++;
        const content = await client.downloadArtifact(artifact, {
          branch: source.targetBranch || "main",
          at,
        });
        const checksum = artifact.checksum ?? md5(content);
        if (vr && vr.spec?.checksum === checksum && sameSpec(vr, desired)) {
          return { artifact, name: vr.metadata.name, checksum, wrote: false };
        }
        const objects = parseManifest(content);
        if (objects.length === 0 && !spec.allowEmpty) {
          throw new ManifestError([
            {
              message:
                "the artifact has no Kubernetes objects (set spec.allowEmpty: true to allow)",
            },
          ]);
        }
        const name = vr?.metadata.name ?? (await this.freeName(artifact.id, sync));
        await this.deps.kube.apply(
          vidraResourcePath(name),
          this.vidraResource(sync, artifact, name, content, checksum),
          { fieldManager: OPERATOR_FIELD_MANAGER, force: true },
        );
        writes++;
        return { artifact, name, checksum, wrote: true };
      },
    );
    outcomes.forEach((o, i) => {
      const artifact = result.ready[i];
      if (o.status === "fulfilled") {
        statuses.set(artifact.id, {
          ...artifactStatus(artifact, o.value.name),
          checksum: o.value.checksum,
        });
        return;
      }
      if (isRetryable(o.reason) && !(o.reason instanceof ManifestError)) throw o.reason;
      const vr = byArtifact.get(artifact.id);
      const why = errorMessage(o.reason);
      problems.push(`artifact ${artifact.id} (${artifact.targetLabel ?? "?"}): ${why}`);
      statuses.set(artifact.id, {
        ...artifactStatus(artifact, vr?.metadata.name),
        checksum: vr?.spec?.checksum,
        message: `not applied: ${why}${vr ? "; the previous version stays applied" : ""}`,
      });
    });

    // Only now, with a complete answer in hand, remove what Infrahub no longer has.
    const foundIds = new Set(found.map(a => a.id));
    const stale = existing.filter(
      vr => !foundIds.has(vr.metadata.annotations?.[ARTIFACT_ID_ANNOTATION] ?? vr.metadata.name),
    );
    for (const vr of stale) {
      await this.deps.kube.delete(vidraResourcePath(vr.metadata.name), { uid: vr.metadata.uid });
      writes++;
    }
    const involved = this.involved(sync);
    if (writes > 0) {
      const updated = outcomes.filter(o => o.status === "fulfilled" && o.value.wrote).length;
      await this.deps.events.record(
        involved,
        "Normal",
        "Synced",
        `${found.length} artifact(s) on ${source.targetBranch}: ${updated} stored, ${stale.length} removed (${stale.map(v => v.metadata.name).join(", ") || "none"})`,
      );
    }
    if (problems.length)
      await this.deps.events.record(involved, "Warning", "ArtifactRejected", problems.join("; "));
    const artifacts = [...statuses.values()].sort((a, b) =>
      (a.target ?? a.id).localeCompare(b.target ?? b.id),
    );
    await this.writeOutcome(sync, artifacts, problems, writes > 0);
    log.debug({ artifacts: found.length, downloads, writes }, "fetched");
    return { changed: writes > 0, downloads };
  }

  /** The VidraResource spec (without manifest) a sync asks for, with the CRD's defaults filled in. */
  private desiredSpec(sync: InfrahubSyncObject): Record<string, unknown> {
    return policyOf({ ...sync.spec, suspend: false });
  }

  private vidraResource(
    sync: InfrahubSyncObject,
    artifact: InfrahubArtifact,
    name: string,
    manifest: string,
    checksum: string,
  ) {
    return {
      apiVersion: API_VERSION,
      kind: "VidraResource",
      metadata: {
        name,
        labels: { [SYNC_LABEL]: sync.metadata.name },
        annotations: {
          [ARTIFACT_ID_ANNOTATION]: artifact.id,
          ...(artifact.name ? { [ARTIFACT_ANNOTATION]: artifact.name } : {}),
          ...(artifact.targetLabel ? { [TARGET_ANNOTATION]: artifact.targetLabel } : {}),
        },
        finalizers: [VIDRA_RESOURCE_FINALIZER],
        ownerReferences: [
          {
            apiVersion: API_VERSION,
            kind: "InfrahubSync",
            name: sync.metadata.name,
            uid: sync.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { ...this.desiredSpec(sync), manifest, checksum },
    };
  }

  /**
   * Vidra names a VidraResource after its artifact id. Two syncs reading the same artifact (say on
   * two branches) would collide, so the second gets a suffix derived from its own uid.
   */
  private async freeName(artifactId: string, sync: InfrahubSyncObject): Promise<string> {
    const taken = await this.deps.kube.getOptional<VidraResourceObject>(
      vidraResourcePath(artifactId),
    );
    if (!taken || taken.metadata.ownerReferences?.some(o => o.uid === sync.metadata.uid))
      return artifactId;
    return `${artifactId}-${createHash("sha256")
      .update(sync.metadata.uid ?? sync.metadata.name)
      .digest("hex")
      .slice(0, 8)}`;
  }

  private involved(sync: InfrahubSyncObject) {
    return {
      apiVersion: API_VERSION,
      kind: "InfrahubSync",
      name: sync.metadata.name,
      uid: sync.metadata.uid,
    };
  }

  /** Ready reflects the fetch and the VidraResources it feeds. */
  private async readiness(sync: InfrahubSyncObject, fetchProblems: string[]): Promise<Condition[]> {
    const gen = sync.metadata.generation;
    const now = this.now();
    const resources = await this.ownedResources(sync);
    if (fetchProblems.length) {
      return outcomeConditions(
        sync.status?.conditions,
        {
          kind: "failed",
          reason: "ArtifactRejected",
          message: fetchProblems.join("; "),
          stalled: false,
        },
        gen,
        now,
      );
    }
    const failed = resources.filter(
      vr => getCondition(vr.status?.conditions, "Ready")?.status === "False",
    );
    if (failed.length) {
      const first = failed[0];
      const msg = getCondition(first.status?.conditions, "Ready")?.message ?? "";
      return outcomeConditions(
        sync.status?.conditions,
        {
          kind: "failed",
          reason: "VidraResourceFailed",
          message: `${failed.length} of ${resources.length} VidraResource(s) failed; ${first.metadata.name}: ${msg}`,
          stalled: false,
        },
        gen,
        now,
      );
    }
    const pending = resources.filter(
      vr =>
        getCondition(vr.status?.conditions, "Ready")?.status !== "True" ||
        vr.status?.observedGeneration !== vr.metadata.generation,
    );
    if (pending.length) {
      return outcomeConditions(
        sync.status?.conditions,
        {
          kind: "progressing",
          reason: "Applying",
          message: `waiting for ${pending.length} of ${resources.length} VidraResource(s) to apply`,
        },
        gen,
        now,
      );
    }
    return outcomeConditions(
      sync.status?.conditions,
      {
        kind: "ready",
        reason: "Synced",
        message: `${resources.length} artifact(s) from branch ${sync.spec?.source.targetBranch} applied`,
      },
      gen,
      now,
    );
  }

  private async refreshReadiness(sync: InfrahubSyncObject): Promise<void> {
    const stillRejected = (sync.status?.artifacts ?? [])
      .filter(a => a.message && !a.message.startsWith("not applied: artifact status"))
      .map(a => `artifact ${a.id}: ${a.message}`);
    const conditions = await this.readiness(
      sync,
      getCondition(sync.status?.conditions, "Ready")?.reason === "ArtifactRejected"
        ? stillRejected
        : [],
    );
    await this.writeStatus(sync, { conditions });
  }

  private async writeOutcome(
    sync: InfrahubSyncObject,
    artifacts: ArtifactStatus[],
    problems: string[],
    changed: boolean,
  ): Promise<void> {
    const status = sync.status ?? {};
    const conditions = await this.readiness(sync, problems);
    const checksums = [
      ...new Set(artifacts.map(a => a.checksum).filter((c): c is string => !!c)),
    ].sort();
    const state = problems.length ? "Failed" : "Succeeded";
    await this.writeStatus(sync, {
      syncState: state,
      lastError: problems.join("; "),
      checksums,
      artifacts,
      artifactCount: artifacts.length,
      conditions,
      observedGeneration: sync.metadata.generation,
      lastHandledSyncRequest: sync.metadata.annotations?.[SYNC_NOW_ANNOTATION],
      ...(changed || status.syncState !== state || !status.lastSyncTime
        ? { lastSyncTime: this.now().toISOString() }
        : {}),
    });
  }

  private async recordFailure(
    sync: InfrahubSyncObject,
    err: unknown,
    log: Logger,
    pollMs: number,
  ): Promise<void> {
    const reason = err instanceof OperatorError ? err.reason : "FetchFailed";
    const retryable = isRetryable(err);
    const message = `${errorMessage(err)}${retryable ? "; retrying with backoff" : ""}`;
    log.warn({ reason, err: errorMessage(err), retryable }, "sync failed; nothing was removed");
    await this.writeStatus(sync, {
      syncState: "Failed",
      lastError: errorMessage(err),
      conditions: outcomeConditions(
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
      observedGeneration: sync.metadata.generation,
      // The request was acted on, even though the fetch failed: say so, or it looks ignored.
      lastHandledSyncRequest: sync.metadata.annotations?.[SYNC_NOW_ANNOTATION],
      ...(pollMs > 0 && !retryable
        ? { nextSyncTime: new Date(this.now().getTime() + pollMs).toISOString() }
        : {}),
    }).catch(e => log.warn({ err: errorMessage(e) }, "could not write status"));
    await this.deps.events.record(this.involved(sync), "Warning", reason, message);
  }

  private writeStatus(sync: InfrahubSyncObject, patch: Partial<SyncStatus>): Promise<void> {
    return patchStatusIfChanged(this.deps.kube, infrahubSyncPath(sync.metadata.name), sync, patch);
  }
}

function serverRequestedDelay(err: unknown): number | undefined {
  if (err instanceof InfrahubCircuitOpenError) return Math.max(1000, err.retryAt - Date.now());
  if (err instanceof InfrahubTransientError && err.retryAfterMs !== undefined)
    return Math.max(1000, err.retryAfterMs);
  return undefined;
}

function artifactStatus(a: InfrahubArtifact, vidraResource: string | undefined): ArtifactStatus {
  const s: ArtifactStatus = { id: a.id };
  if (a.name) s.name = a.name;
  if (a.targetLabel) s.target = a.targetLabel;
  if (a.targetId) s.targetId = a.targetId;
  if (a.storageId) s.storageId = a.storageId;
  if (a.status) s.status = a.status;
  if (vidraResource) s.vidraResource = vidraResource;
  return s;
}

/**
 * The policy fields a sync hands down, defaulted as the API server defaults them, so a stored
 * VidraResource and a freshly computed one compare equal when nothing changed.
 */
function policyOf(s: Partial<NonNullable<VidraResourceObject["spec"]>>): Record<string, unknown> {
  const d = s.destination ?? {};
  return {
    destination: {
      ...(d.server ? { server: d.server } : {}),
      ...(d.namespace ? { namespace: d.namespace } : {}),
      reconcileOnEvents: d.reconcileOnEvents ?? false,
      ...(d.kubeconfigSecretRef ? { kubeconfigSecretRef: d.kubeconfigSecretRef } : {}),
    },
    suspend: s.suspend ?? false,
    prune: s.prune ?? true,
    allowEmpty: s.allowEmpty ?? false,
    adoption: s.adoption ?? "Refuse",
    deletionPolicy: s.deletionPolicy ?? "Delete",
    ...(s.reapplyInterval ? { reapplyInterval: s.reapplyInterval } : {}),
  };
}

function sameSpec(vr: VidraResourceObject, desired: Record<string, unknown>): boolean {
  return isDeepStrictEqual(policyOf(vr.spec ?? {}), desired);
}
