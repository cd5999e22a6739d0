import { cachedSecrets, type SecretCache } from "../cache/secret-cache";
import { mapSettledLimit } from "../concurrency";
import { errorMessage, isRetryable, OperatorError } from "../errors";
import type { InfrahubArtifact, InfrahubClientRegistry } from "../infrahub";
import type { KubeClient } from "../kube/client";
import type { Logger } from "../logger";
import { ManifestError } from "../manifest/manifest-error";
import { secretScope } from "../tenancy/secret-refs";
import { describeArtifacts, lookupArtifacts } from "./artifact-lookup";
import { refusedForContent, storeArtifact, type Stored } from "./artifact-store";
import type { ArtifactBatcher } from "./lookup-batch";
import { TARGET_ANNOTATION } from "./markers";
import type { OperatorConfig } from "./operator-config";
import type { RejectedArtifacts, Rejection } from "./rejected-artifacts";
import {
  vidraResourcePath,
  type ArtifactStatus,
  type InfrahubSyncObject,
  type VidraResourceObject,
} from "./resources";
import { resumeWithSync } from "./suspension";
import { artifactIdOf, holds } from "./vidra-resource-spec";

/**
 * One fetch of a sync's artifacts: looks them up in Infrahub, stores those whose checksum changed
 * in their VidraResources (unchanged checksums cost no download and no write; a version refused
 * before under the same settings is not downloaded again), and says per artifact what became of it
 * (the status entries and the refusals). Refuses an empty answer where there was something.
 * removeGone then deletes the VidraResources whose artifact is gone, which only a complete,
 * successful and non-empty fetch may do. It exists apart from the reconciler because the fetch
 * pass is the long middle of a sync's run, and the reconciler should read as its steps.
 */

export interface ArtifactFetchDeps {
  kube: KubeClient;
  infrahub: InfrahubClientRegistry;
  config: () => OperatorConfig;
  now: () => Date;
  /** Syncs sharing an Infrahub, branch and date are answered by one request (lookup-batch.ts). */
  batcher: ArtifactBatcher;
  /** Watch-fed credentials Secrets (without them they are read live). */
  secrets?: SecretCache;
  /** Artifact versions refused before, per sync uid. */
  rejected: RejectedArtifacts;
  /** The sync's VidraResources (cached reads). */
  ownedResources: (sync: InfrahubSyncObject) => Promise<VidraResourceObject[]>;
  /** Concurrent artifact downloads per sync. */
  downloadConcurrency?: number;
}

/** What one fetch found and stored; nothing was removed yet (removeGone). */
export interface FetchedArtifacts {
  /** Every artifact Infrahub has for the sync, Ready or not. */
  found: InfrahubArtifact[];
  /** The sync's VidraResources as read before storing. */
  existing: VidraResourceObject[];
  /** The status entry of each artifact found, by target. */
  artifacts: ArtifactStatus[];
  problems: string[];
  /** Refusals seen for the first time: only these make an Event. */
  fresh: string[];
  /** VidraResources written. */
  stored: number;
  downloads: number;
  /** The batch group that answered the lookup (its syncs poll on one grid), when batched. */
  group?: string;
}

/** Infrahub answered, but with nothing where there was something: keep everything, say why. */
export class SuspiciousResultError extends OperatorError {
  constructor(message: string) {
    super(message, { reason: "EmptyResult", retryable: false });
  }
}

export async function fetchArtifacts(
  deps: ArtifactFetchDeps,
  sync: InfrahubSyncObject,
  log: Logger,
  opts: { retryRefused: boolean; notBefore: number },
): Promise<FetchedArtifacts> {
  const spec = sync.spec!;
  const uid = sync.metadata.uid ?? sync.metadata.name;
  const source = spec.source;
  const secrets = deps.secrets;
  // The Secrets this lookup reads stay watched; those it no longer reads are let go.
  secrets?.beginRound(sync.metadata.name);
  const lookup = await lookupArtifacts(
    {
      kube: deps.kube,
      infrahub: deps.infrahub,
      queryName: deps.config().queryName,
      secretScope: secretScope(spec, deps.config().tenancy.allowCrossNamespaceSecretRefs),
      batcher: deps.batcher,
      secrets: secrets && cachedSecrets(secrets, sync.metadata.name),
    },
    sync,
    deps.now(),
    opts,
  ).finally(() => secrets?.endRound(sync.metadata.name));
  const { result } = lookup;
  const existing = await deps.ownedResources(sync);
  // Suspensions left behind by a pass that stopped half way (none, almost always).
  await resumeWithSync(deps.kube, existing);
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
  const context = JSON.stringify([sync.metadata.generation, deps.config().refuseSecrets]);
  const refused = new Map<string, Rejection>();
  for (const a of result.ready) {
    const r = holds(byArtifact.get(a.id), a.checksum, sync)
      ? undefined
      : deps.rejected.recall(uid, a, context);
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
    deps.downloadConcurrency ?? 4,
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
      return storeArtifact(deps, sync, lookup, full, vr);
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
        deps.rejected.remember(uid, artifact, { context, problem, why, target });
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

  deps.rejected.retain(uid, stillRefused);
  const stored = outcomes.filter(o => o.status === "fulfilled" && o.value.wrote).length;
  const artifacts = [...statuses.values()].sort((a, b) =>
    (a.target ?? a.id).localeCompare(b.target ?? b.id),
  );
  return { found, existing, artifacts, problems, fresh, stored, downloads, group: lookup.group };
}

/**
 * Deletes the VidraResources whose artifact Infrahub no longer has. Only with a complete answer in
 * hand (fetchArtifacts returned): a failed, partial or suspicious fetch removes nothing.
 */
export async function removeGone(
  kube: KubeClient,
  fetched: FetchedArtifacts,
): Promise<VidraResourceObject[]> {
  const foundIds = new Set(fetched.found.map(a => a.id));
  const gone = fetched.existing.filter(vr => !foundIds.has(artifactIdOf(vr)));
  for (const vr of gone)
    await kube.delete(vidraResourcePath(vr.metadata.name), { uid: vr.metadata.uid });
  return gone;
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
