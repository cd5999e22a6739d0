import { createHash } from "node:crypto";
import { nullLogger } from "../logger";
import { downloadArtifact, type RawCall } from "./download";
import { ArtifactChecksumMismatchError, InfrahubInvalidResponseError } from "./errors";
import type { RequestSpec } from "./requester";
import type { InfrahubArtifact } from "./types";

const md5 = (s: string) => createHash("md5").update(s, "utf8").digest("hex");
const CONTENT = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: café\n";

function artifact(extra: Partial<InfrahubArtifact> = {}): InfrahubArtifact {
  return {
    id: "art-1",
    name: "Web",
    status: "Ready",
    contentType: "application/yaml",
    checksum: md5(CONTENT),
    storageId: "sto/1",
    targetId: null,
    targetLabel: null,
    definitionName: null,
    ...extra,
  };
}

function fake(bodies: string[], status = 200) {
  const calls: Array<Omit<RequestSpec, "expect">> = [];
  const call: RawCall = async spec => {
    calls.push(spec);
    const body = bodies[Math.min(calls.length - 1, bodies.length - 1)];
    return { status, headers: {}, body: Buffer.from(body, "utf8") };
  };
  return {
    calls,
    ctx: {
      call,
      address: "http://infrahub.test",
      maxBytes: 1000,
      logger: nullLogger,
      secrets: () => [],
    },
  };
}

describe("downloadArtifact", () => {
  it("downloads by storage id (no branch) and verifies the md5", async () => {
    const { calls, ctx } = fake([CONTENT]);
    expect(await downloadArtifact(ctx, artifact(), { branch: "main" })).toBe(CONTENT);
    expect(calls[0]).toMatchObject({
      method: "GET",
      path: "/api/storage/object/sto%2F1",
      endpoint: "GET /api/storage/object",
      artifactId: "art-1",
      maxBytes: 1000,
    });
    expect(calls[0].query).toBeUndefined();
  });

  it("downloads by artifact id with branch and at when there is no storage id", async () => {
    const { calls, ctx } = fake([CONTENT]);
    await downloadArtifact(ctx, artifact({ storageId: null }), {
      branch: "dev",
      at: new Date("2025-01-01T00:00:00Z"),
    });
    expect(calls[0]).toMatchObject({
      path: "/api/artifact/art-1",
      query: { branch: "dev", at: "2025-01-01T00:00:00Z" },
      endpoint: "GET /api/artifact",
    });
  });

  it("accepts content without a checksum unverified", async () => {
    const { ctx } = fake(["anything"]);
    expect(await downloadArtifact(ctx, artifact({ checksum: null }), { branch: "main" })).toBe(
      "anything",
    );
  });

  it("downloads once more after a mismatch and accepts a good second copy", async () => {
    const { calls, ctx } = fake(["garbled", CONTENT]);
    expect(await downloadArtifact(ctx, artifact(), { branch: "main" })).toBe(CONTENT);
    expect(calls).toHaveLength(2);
  });

  it("fails retryably after two mismatches", async () => {
    const { calls, ctx } = fake(["new content"]);
    const err = await downloadArtifact(ctx, artifact(), { branch: "main" }).catch(e => e);
    expect(err).toBeInstanceOf(ArtifactChecksumMismatchError);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain(md5("new content"));
    expect(err.endpoint).toBe("GET /api/storage/object/sto%2F1");
    expect(calls).toHaveLength(2);
  });

  it("never takes an error envelope for content, even with HTTP 200", async () => {
    const envelope =
      '{"data":null,"errors":[{"message":"Unable to find the node sto/1 / StorageObject in the database.","extensions":{"code":404}}]}';
    const { ctx } = fake([envelope]);
    const err = await downloadArtifact(ctx, artifact({ checksum: null }), { branch: "main" }).catch(
      e => e,
    );
    expect(err).toBeInstanceOf(InfrahubInvalidResponseError);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain("Unable to find the node");
    expect(err.message).toContain("HTTP 200");
  });
});
