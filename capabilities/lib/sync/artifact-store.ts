import { createHash } from "node:crypto";
import { MAX_MANIFEST_BYTES } from "../admission/manifest-check";
import { OperatorError } from "../errors";
import { ArtifactTooLargeError, type InfrahubArtifact } from "../infrahub";
import type { KubeClient } from "../kube/client";
import { KubeApiError } from "../kube/errors";
import { ManifestError } from "../manifest/manifest-error";
import { checkWithoutCluster } from "../manifest/offline-check";
import { sharedParses } from "../manifest/parse-cache";
import type { Lookup } from "./artifact-lookup";
import { OPERATOR_FIELD_MANAGER } from "./markers";
import type { OperatorConfig } from "./operator-config";
import type { Rejection } from "./rejected-artifacts";
import { vidraResourcePath, type InfrahubSyncObject, type VidraResourceObject } from "./resources";
import { secretsIn, secretsRefusedMessage } from "./secret-policy";
import { collisionFreeName, holds, vidraResourceFor } from "./vidra-resource-spec";

/**
 * Stores one Infrahub artifact in its VidraResource: downloads it, checks it as the VidraResource
 * admission would (parses, not empty unless allowed, namespaced as the destination wants, no
 * Secrets when they are refused) and applies the VidraResource that holds it. A version the
 * VidraResource already holds is not written again. It exists apart from the fetch pass
 * (artifact-fetch.ts) because storing one artifact is its own job with its own refusals.
 */

/** What happened to one Ready artifact in a fetch. */
export interface Stored {
  artifact: InfrahubArtifact;
  name?: string;
  checksum?: string;
  wrote: boolean;
  message?: string;
  /** This version was refused before, under the same settings: not downloaded again. */
  rejected?: Rejection;
}

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
export const refusedForContent = (err: unknown): boolean =>
  err instanceof ManifestError || err instanceof ArtifactTooLargeError;

/** Downloads one artifact, checks that it parses, and stores it in its VidraResource. */
export async function storeArtifact(
  deps: { kube: KubeClient; config: () => OperatorConfig },
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
  const secrets = deps.config().refuseSecrets ? secretsIn(objects) : [];
  if (secrets.length)
    throw new ManifestError([{ message: `the artifact ${secretsRefusedMessage(secrets)}` }]);
  const name = vr?.metadata.name ?? (await collisionFreeName(deps.kube, artifact.id, sync));
  try {
    await deps.kube.apply(
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
