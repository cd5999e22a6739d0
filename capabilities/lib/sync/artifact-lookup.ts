import { errorMessage } from "../errors";
import type {
  FindResult,
  InfrahubArtifact,
  InfrahubClient,
  InfrahubClientRegistry,
} from "../infrahub";
import type { KubeClient } from "../kube/client";
import type { Logger } from "../logger";
import { parseTargetDate } from "../target-date";
import type { SecretScope } from "../tenancy/secret-refs";
import { resolveInfrahub } from "./credentials";
import { findThroughBatch, type ArtifactBatcher } from "./lookup-batch";
import type { SecretSource } from "./secrets";
import { explainRefusal } from "./refused-credentials";
import type { InfrahubSyncObject } from "./resources";

export interface Lookup {
  result: FindResult;
  client: InfrahubClient;
  branch: string;
  at?: Date;
  /** The batch group that answered it (its syncs poll on one grid), when batched. */
  group?: string;
}

/**
 * Asks Infrahub for a sync's artifacts: Vidra's stored query, or GraphQL with filters and paging.
 * Credentials Infrahub refused are not sent again unless `retryRefused` (a person asked for a sync).
 * @throws CredentialsRefusedError when Infrahub refused them (now or before), naming their Secret
 */
export async function lookupArtifacts(
  deps: {
    kube: KubeClient;
    infrahub: InfrahubClientRegistry;
    queryName: string;
    secretScope: SecretScope;
    /** Answers syncs that share an Infrahub, branch and date together (see lookup-batch.ts). */
    batcher?: ArtifactBatcher;
    /** Where credentials Secrets are read (default: live from the API server). */
    secrets?: SecretSource;
  },
  sync: InfrahubSyncObject,
  now: Date,
  /** notBefore: the oldest batch (ms since epoch) whose answer this lookup accepts. */
  opts: { retryRefused?: boolean; notBefore?: number } = {},
): Promise<Lookup> {
  const source = sync.spec!.source;
  const { connection, credentialSource } = await resolveInfrahub(
    deps.secrets ?? deps.kube,
    source,
    deps.secretScope,
  );
  // Held per sync: a rotated credential or a deleted sync lets go of the client it no longer needs.
  const client = deps.infrahub.get(connection, sync.metadata.uid ?? sync.metadata.name);
  if (opts.retryRefused) client.retryRefusedCredentials();
  // A relative targetDate moves with every poll; Infrahub only ever sees an absolute time.
  const at = source.targetDate ? parseTargetDate(source.targetDate, now) : undefined;
  const branch = source.targetBranch || "main";
  try {
    if (deps.batcher) {
      const answer = await findThroughBatch(deps.batcher, client, sync, {
        branch,
        queryName: deps.queryName,
        notBefore: opts.notBefore ?? now.getTime(),
      });
      return { result: answer.result, client, branch, at: answer.at, group: answer.group };
    }
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
            queryName: source.queryName || deps.queryName,
            artifactName: source.artefactName,
            branch,
            at,
          });
    return { result, client, branch, at };
  } catch (err) {
    throw explainRefusal(err, client.credentialsRefused, connection.auth.kind, credentialSource);
  }
}

/**
 * Vidra's stored query selects ids and checksums only. For the artifacts about to be downloaded,
 * one GraphQL query by id fills in the target, status and storage id (so the status can name the
 * target and the download can use the object store). Best effort: without it, downloads go by
 * artifact id, as in Vidra.
 */
export async function describeArtifacts(
  lookup: Lookup,
  artifacts: InfrahubArtifact[],
  log: Logger,
): Promise<Map<string, InfrahubArtifact>> {
  if (artifacts.length === 0) return new Map();
  try {
    const found = await lookup.client.findArtifacts({
      branch: lookup.branch,
      at: lookup.at,
      artifactIds: artifacts.map(a => a.id),
    });
    return new Map([...found.ready, ...found.notReady.map(n => n.artifact)].map(a => [a.id, a]));
  } catch (err) {
    log.debug(
      { err: errorMessage(err) },
      "could not look up artifact details; downloading by artifact id",
    );
    return new Map();
  }
}
