import type { InfrahubSimulator } from "../../hack/infrahub-sim";
import {
  ArtifactChecksumMismatchError,
  ArtifactTooLargeError,
  InfrahubInvalidResponseError,
  InfrahubNotFoundError,
  type InfrahubClient,
} from "../../capabilities/lib/infrahub";
import {
  ARTIFACT_NAME,
  DEFINITION,
  harness,
  passwordConnection,
  rejectionOf,
  seedArtifacts,
  startSim,
  type Harness,
} from "./helpers";

let sim: InfrahubSimulator;
let h: Harness;
let client: InfrahubClient;

beforeEach(async () => {
  sim = await startSim();
  h = harness({ maxArtifactBytes: 2048 });
  client = h.registry.get(passwordConnection(sim));
});

afterEach(async () => {
  h.registry.close();
  await sim.stop();
});

const only = async () => (await client.findArtifacts({ branch: "main" })).ready[0];
const count = (endpoint: string) => sim.requestCounts()[endpoint] ?? 0;

describe("downloading artifacts", () => {
  it("downloads by storage id as UTF-8 text and verifies the checksum", async () => {
    const content = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: grüße-✓\n";
    sim.upsertArtifact("main", { definition: DEFINITION, target: { label: "t" }, content });
    const artifact = await only();
    expect(artifact.storageId).not.toBeNull();
    expect(await client.downloadArtifact(artifact, { branch: "main" })).toBe(content);
    expect(count("GET /api/storage/object")).toBe(1);
    expect(count("GET /api/artifact")).toBe(0);
  });

  it("downloads by artifact id when no storage id is known", async () => {
    const [seeded] = seedArtifacts(sim, 1);
    const artifact = await only();
    expect(
      await client.downloadArtifact({ ...artifact, storageId: null }, { branch: "main" }),
    ).toBe(seeded.content);
    const log = sim.requestLog.find(e => e.endpoint === "GET /api/artifact")!;
    expect(log.path).toBe(`/api/artifact/${seeded.id}?branch=main`);
  });

  it("rejects an artifact larger than the limit from its Content-Length, without reading it", async () => {
    sim.upsertArtifact("main", {
      definition: DEFINITION,
      target: { label: "big" },
      content: "x".repeat(50_000),
    });
    const artifact = await only();
    const err = await rejectionOf(client.downloadArtifact(artifact, { branch: "main" }));
    expect(err).toBeInstanceOf(ArtifactTooLargeError);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain("2048-byte limit");
    expect(err.message).toContain(artifact.id);
    expect(count("GET /api/storage/object")).toBe(1);
    // The same client still works afterwards (the aborted socket was not reused).
    sim.upsertArtifact("main", {
      definition: DEFINITION,
      target: { label: "small" },
      content: "kind: Small\n",
    });
    const small = (await client.findArtifacts({ branch: "main" })).ready.find(
      a => a.targetLabel === "small",
    )!;
    expect(await client.downloadArtifact(small, { branch: "main" })).toBe("kind: Small\n");
  });

  it("treats a 404 envelope as NotFound, never as content", async () => {
    const [seeded] = seedArtifacts(sim, 1);
    const artifact = await only();
    const missingStorage = await rejectionOf(
      client.downloadArtifact({ ...artifact, storageId: "no-such-object" }, { branch: "main" }),
    );
    expect(missingStorage).toBeInstanceOf(InfrahubNotFoundError);
    expect(missingStorage.message).toContain("StorageObject");
    expect(missingStorage.message).toContain("HTTP 404");
    sim.deleteArtifact("main", seeded.id);
    const missingArtifact = await rejectionOf(
      client.downloadArtifact({ ...artifact, storageId: null }, { branch: "main" }),
    );
    expect(missingArtifact).toBeInstanceOf(InfrahubNotFoundError);
    expect(missingArtifact.retryable).toBe(false);
    expect(count("GET /api/storage/object") + count("GET /api/artifact")).toBe(2);
  });

  it("refuses an error envelope served with HTTP 200 (infrahub-sdk-python #958)", async () => {
    seedArtifacts(sim, 1);
    const artifact = await only();
    const envelope = JSON.stringify({
      data: null,
      errors: [
        {
          message: "Unable to find the node x / StorageObject in the database.",
          extensions: { code: 404 },
        },
      ],
    });
    sim.injectFault({
      endpoint: "GET /api/storage/object",
      kind: "status",
      status: 200,
      body: envelope,
      times: 1,
    });
    const err = await rejectionOf(
      client.downloadArtifact({ ...artifact, checksum: null }, { branch: "main" }),
    );
    expect(err).toBeInstanceOf(InfrahubInvalidResponseError);
    expect(err.message).toContain("Unable to find the node x / StorageObject");
  });

  it("re-downloads once when the body does not match the checksum (garbled transfer)", async () => {
    const [seeded] = seedArtifacts(sim, 1);
    const artifact = await only();
    sim.injectFault({ endpoint: "GET /api/storage/object", kind: "garbage", times: 1 });
    expect(await client.downloadArtifact(artifact, { branch: "main" })).toBe(seeded.content);
    expect(count("GET /api/storage/object")).toBe(2);
  });

  it("fails retryably on a checksum mismatch caused by a content change after the lookup", async () => {
    const [seeded] = seedArtifacts(sim, 1);
    const { ready } = await client.findArtifactsByStoredQuery({
      queryName: "ArtifactIDs",
      artifactName: ARTIFACT_NAME,
      branch: "main",
    });
    sim.setArtifactContent("main", seeded.id, "kind: Changed\n");
    const err = await rejectionOf(client.downloadArtifact(ready[0], { branch: "main" }));
    expect(err).toBeInstanceOf(ArtifactChecksumMismatchError);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain(seeded.checksum!);
    expect(count("GET /api/artifact")).toBe(2);
    // The next lookup sees the new checksum and the download succeeds.
    const fresh = await client.findArtifactsByStoredQuery({
      queryName: "ArtifactIDs",
      artifactName: ARTIFACT_NAME,
      branch: "main",
    });
    expect(await client.downloadArtifact(fresh.ready[0], { branch: "main" })).toBe(
      "kind: Changed\n",
    );
  });
});
