import { createHash } from "node:crypto";
import type { Logger } from "../logger";
import { toAtParam } from "../target-date";
import { errorEnvelopeMessages } from "./envelope";
import { ArtifactChecksumMismatchError, InfrahubInvalidResponseError } from "./errors";
import type { TransportResponse } from "./http-transport";
import { presentMessages } from "./redact";
import { describeEndpoint, type RequestSpec } from "./requester";
import type { DownloadOptions, InfrahubArtifact } from "./types";

/** An authorised raw call (retries, breaker and token handling already applied). */
export type RawCall = (spec: Omit<RequestSpec, "expect">) => Promise<TransportResponse>;

interface DownloadContext {
  call: RawCall;
  address: string;
  maxBytes: number;
  logger: Logger;
  secrets: () => Iterable<string>;
}

/**
 * By storage id when known (`/api/storage/object/{id}`: not branch-aware, the id names immutable
 * content), otherwise by artifact id (`/api/artifact/{id}?branch=&at=`), which is what a stored
 * query without `storage_id { value }` leaves us (see artifact-parse.ts).
 */
function downloadSpec(
  artifact: InfrahubArtifact,
  opts: DownloadOptions,
  maxBytes: number,
): Omit<RequestSpec, "expect"> {
  const common = {
    method: "GET" as const,
    purpose: "api" as const,
    artifactId: artifact.id,
    maxBytes,
  };
  if (artifact.storageId !== null) {
    return {
      ...common,
      path: `/api/storage/object/${encodeURIComponent(artifact.storageId)}`,
      endpoint: "GET /api/storage/object",
      subject: `storage object ${artifact.storageId} of artifact ${artifact.id}`,
      notFoundHint:
        "The content is gone from Infrahub's object store; regenerate the artifact in Infrahub.",
    };
  }
  return {
    ...common,
    path: `/api/artifact/${encodeURIComponent(artifact.id)}`,
    query: { branch: opts.branch, at: opts.at && toAtParam(opts.at) },
    endpoint: "GET /api/artifact",
    subject: `artifact ${artifact.id} (or its stored content)`,
    notFoundHint:
      "The artifact was deleted or has no content yet; it is looked up again on the next sync.",
  };
}

/**
 * Downloads an artifact's content as UTF-8 text, within the size limit, and verifies it against
 * the artifact's md5 checksum when one is known. On a mismatch the download is repeated once (a
 * damaged transfer); a second mismatch is an ArtifactChecksumMismatchError (retryable: usually the
 * artifact was regenerated since the lookup). A body that is exactly an Infrahub error envelope is
 * never taken as content.
 */
export async function downloadArtifact(
  ctx: DownloadContext,
  artifact: InfrahubArtifact,
  opts: DownloadOptions,
): Promise<string> {
  const spec = downloadSpec(artifact, opts, ctx.maxBytes);
  const where = { address: ctx.address, endpoint: describeEndpoint(ctx.address, spec) };
  for (let round = 1; ; round++) {
    const response = await ctx.call(spec);
    const content = response.body.toString("utf8");
    const envelope = errorEnvelopeMessages(content);
    if (envelope !== undefined) {
      throw new InfrahubInvalidResponseError(
        `Infrahub answered HTTP ${response.status} with an error envelope instead of the content of artifact ${artifact.id}`,
        {
          ...where,
          status: response.status,
          serverMessages: presentMessages(envelope, ctx.secrets()),
        },
        "Check Infrahub's logs for this artifact and regenerate it if needed.",
        { retryable: false },
      );
    }
    if (artifact.checksum === null) return content;
    const actual = createHash("md5").update(response.body).digest("hex");
    if (actual === artifact.checksum.toLowerCase()) return content;
    if (round >= 2) {
      throw new ArtifactChecksumMismatchError(artifact.id, artifact.checksum, actual, {
        ...where,
        status: response.status,
      });
    }
    ctx.logger.warn(
      { address: ctx.address, artifactId: artifact.id, expected: artifact.checksum, actual },
      "Artifact content does not match its checksum; downloading it once more",
    );
  }
}
