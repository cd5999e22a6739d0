import { createHash } from "node:crypto";
import type { InfrahubSimulator } from "../../hack/infrahub-sim";
import {
  InfrahubNotFoundError,
  InfrahubStoredQueryError,
  type InfrahubClient,
} from "../../capabilities/lib/infrahub";
import {
  ARTIFACT_NAME,
  DEFINITION,
  harness,
  manifest,
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
  h = harness({ pageSize: 100 });
  client = h.registry.get(passwordConnection(sim));
});

afterEach(async () => {
  h.registry.close();
  await sim.stop();
});

const md5 = (s: string) => createHash("md5").update(s, "utf8").digest("hex");
const graphqlCount = () => sim.requestCounts()["POST /graphql"] ?? 0;

describe("stored query (Vidra's way)", () => {
  it("runs Vidra's ArtifactIDs and downloads by artifact id, never by the attribute id", async () => {
    const seeded = seedArtifacts(sim, 3);
    const { ready, notReady } = await client.findArtifactsByStoredQuery({
      queryName: "ArtifactIDs",
      artifactName: ARTIFACT_NAME,
      branch: "main",
    });
    expect(notReady).toEqual([]);
    expect(ready.map(a => a.id).sort()).toEqual(seeded.map(a => a.id).sort());
    expect(
      ready.every(a => a.storageId === null && a.checksum !== null && a.name === ARTIFACT_NAME),
    ).toBe(true);
    const one = ready.find(a => a.id === seeded[1].id)!;
    expect(await client.downloadArtifact(one, { branch: "main" })).toBe(seeded[1].content);
    expect(sim.requestCounts()["GET /api/artifact"]).toBe(1);
    expect(sim.requestCounts()["GET /api/storage/object"]).toBeUndefined();
    const query = sim.requestLog.find(e => e.endpoint === "POST /api/query")!;
    expect(query.path).toBe("/api/query/ArtifactIDs?branch=main&update_group=false");
  });

  it("uses storage_id.value, status and target when a custom stored query selects them", async () => {
    sim.registerStoredQuery(
      "RichArtifacts",
      `query RichArtifacts($artifactname: [String]) {
        CoreArtifact(name__values: $artifactname) {
          edges { node {
            id name { value } status { value } checksum { value } storage_id { value } content_type { value }
            object { node { id display_label } } definition { node { name { value } } }
          } }
        }
      }`,
    );
    const [a, b] = seedArtifacts(sim, 2);
    sim.setArtifactStatus("main", b.id, "Pending");
    const { ready, notReady } = await client.findArtifactsByStoredQuery({
      queryName: "RichArtifacts",
      artifactName: ARTIFACT_NAME,
      branch: "main",
    });
    expect(ready).toEqual([
      {
        id: a.id,
        name: ARTIFACT_NAME,
        status: "Ready",
        contentType: "application/yaml",
        checksum: a.checksum,
        storageId: a.storageId,
        targetId: a.targetId,
        targetLabel: a.targetLabel,
        definitionName: DEFINITION,
      },
    ]);
    expect(notReady).toEqual([
      {
        artifact: expect.objectContaining({ id: b.id, status: "Pending" }),
        reason: expect.stringContaining("Pending"),
      },
    ]);
    expect(await client.downloadArtifact(ready[0], { branch: "main" })).toBe(a.content);
    expect(sim.requestCounts()["GET /api/storage/object"]).toBe(1);
  });

  it("reports an unknown stored query as NotFound", async () => {
    const err = await rejectionOf(
      client.findArtifactsByStoredQuery({
        queryName: "Missing",
        artifactName: "x",
        branch: "main",
      }),
    );
    expect(err).toBeInstanceOf(InfrahubNotFoundError);
    expect(err.message).toContain('stored query "Missing"');
    expect(sim.requestCounts()["POST /api/query"]).toBe(1);
  });

  // Infrahub 1.11.9 crashes on variables that do not fit (a bare 500; contract sq/missing-variable).
  it("reports a stored query needing a variable the operator does not send, without retrying", async () => {
    sim.registerStoredQuery(
      "NeedsMore",
      `query NeedsMore($artifactname: [String], $other: String!) { CoreArtifact(name__values: $artifactname, name__value: $other) { edges { node { id } } } }`,
    );
    const err = await rejectionOf(
      client.findArtifactsByStoredQuery({
        queryName: "NeedsMore",
        artifactName: "x",
        branch: "main",
      }),
    );
    expect(err).toBeInstanceOf(InfrahubStoredQueryError);
    expect(err.retryable).toBe(false);
    expect(err.reason).toBe("StoredQueryFailed");
    expect(err.message).toContain("HTTP 500");
    expect(err.message).toContain("artifactname");
    // One try, and one probe that shows Infrahub itself is fine.
    expect(sim.requestCounts()["POST /api/query"]).toBe(1);
    expect(sim.requestCounts()["GET /api/info"]).toBe(1);
  });

  // Contract sq/resolver-error: 502 whose errors[0].message is an object.
  it("reports a stored query that fails while it runs, without retrying", async () => {
    sim.registerStoredQuery(
      "Broken",
      "query Broken($artifactname: [String]) { CoreArtifact(name__values: $artifactname, limit: -1) { edges { node { id } } } }",
    );
    const err = await rejectionOf(
      client.findArtifactsByStoredQuery({ queryName: "Broken", artifactName: "x", branch: "main" }),
    );
    expect(err).toBeInstanceOf(InfrahubStoredQueryError);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(
      'Infrahub said "GraphQLQuery Broken: limit must be a non-negative integer"',
    );
    expect(sim.requestCounts()["POST /api/query"]).toBe(1);
  });

  it("reports an unknown branch as NotFound", async () => {
    const err = await rejectionOf(
      client.findArtifactsByStoredQuery({
        queryName: "ArtifactIDs",
        artifactName: "x",
        branch: "nope",
      }),
    );
    expect(err).toBeInstanceOf(InfrahubNotFoundError);
    expect(err.what).toBe('branch "nope"');
  });
});

describe("GraphQL lookup", () => {
  it("reads 250 artifacts in three pages of 100", async () => {
    const seeded = seedArtifacts(sim, 250);
    sim.resetCounts();
    const { ready, notReady } = await client.findArtifacts({
      branch: "main",
      artifactNames: [ARTIFACT_NAME],
    });
    expect(notReady).toEqual([]);
    expect(new Set(ready.map(a => a.id))).toEqual(new Set(seeded.map(a => a.id)));
    expect(graphqlCount()).toBe(3);
  });

  it("honours the configured page size", async () => {
    seedArtifacts(sim, 25);
    const small = harness({ pageSize: 10 });
    try {
      sim.resetCounts();
      expect(
        (await small.registry.get(passwordConnection(sim)).findArtifacts({ branch: "main" })).ready,
      ).toHaveLength(25);
      expect(graphqlCount()).toBe(3);
    } finally {
      small.registry.close();
    }
  });

  it("filters by name, definition, target ids and artifact ids", async () => {
    sim.upsertDefinition({
      name: "Other_Definition",
      artifactName: "Other_Manifest",
      contentType: "text/plain",
    });
    const web = seedArtifacts(sim, 3);
    const other = sim.upsertArtifact("main", {
      definition: "Other_Definition",
      target: { label: web[0].targetLabel },
      content: "x",
    });
    const ids = (r: { ready: Array<{ id: string }> }) => r.ready.map(a => a.id).sort();
    expect(
      ids(await client.findArtifacts({ branch: "main", artifactNames: ["Other_Manifest"] })),
    ).toEqual([other.id]);
    expect(ids(await client.findArtifacts({ branch: "main", definitionName: DEFINITION }))).toEqual(
      web.map(a => a.id).sort(),
    );
    expect(
      ids(await client.findArtifacts({ branch: "main", targetIds: [web[0].targetId] })),
    ).toEqual([web[0].id, other.id].sort());
    expect(
      ids(await client.findArtifacts({ branch: "main", artifactIds: [web[1].id, other.id] })),
    ).toEqual([web[1].id, other.id].sort());
    expect(
      ids(
        await client.findArtifacts({
          branch: "main",
          artifactNames: [ARTIFACT_NAME],
          targetIds: [web[0].targetId],
        }),
      ),
    ).toEqual([web[0].id]);
    expect(
      ids(
        await client.findArtifacts({
          branch: "main",
          artifactNames: [ARTIFACT_NAME, "Other_Manifest"],
        }),
      ),
    ).toHaveLength(4);
  });

  it("reads the branch given, including names with a slash", async () => {
    seedArtifacts(sim, 2);
    sim.createBranch("release/1.0", "main");
    const extra = sim.upsertArtifact("release/1.0", {
      definition: DEFINITION,
      target: { label: "only-on-branch" },
      content: manifest("b"),
    });
    expect((await client.findArtifacts({ branch: "main" })).ready).toHaveLength(2);
    const onBranch = await client.findArtifacts({ branch: "release/1.0" });
    expect(onBranch.ready.map(a => a.id)).toContain(extra.id);
    expect(onBranch.ready).toHaveLength(3);
    expect(sim.requestLog.some(e => e.path.startsWith("/graphql/release%2F1.0"))).toBe(true);
    expect(
      await client.downloadArtifact(
        { ...onBranch.ready.find(a => a.id === extra.id)!, storageId: null },
        { branch: "release/1.0" },
      ),
    ).toBe(extra.content);
  });

  it("reports an unknown branch as NotFound without retrying", async () => {
    const err = await rejectionOf(client.findArtifacts({ branch: "ghost" }));
    expect(err).toBeInstanceOf(InfrahubNotFoundError);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain("Branch: ghost not found.");
    expect(graphqlCount()).toBe(1);
  });

  it("reads the past with at, for finds and downloads", async () => {
    const [a] = seedArtifacts(sim, 1);
    const before = new Date(Date.parse(a.updatedAt) + 1);
    await new Promise(resolve => setTimeout(resolve, 5));
    const changed = sim.setArtifactContent("main", a.id, manifest("changed"));
    expect(changed.storageId).not.toBe(a.storageId);

    const [past] = (await client.findArtifacts({ branch: "main", at: before })).ready;
    expect(past.checksum).toBe(md5(a.content!));
    expect(past.storageId).toBe(a.storageId);
    expect(await client.downloadArtifact(past, { branch: "main", at: before })).toBe(a.content);
    expect(
      await client.downloadArtifact({ ...past, storageId: null }, { branch: "main", at: before }),
    ).toBe(a.content);

    const [now] = (await client.findArtifacts({ branch: "main" })).ready;
    expect(now.checksum).toBe(md5(manifest("changed")));
    const viaQuery = await client.findArtifactsByStoredQuery({
      queryName: "ArtifactIDs",
      artifactName: ARTIFACT_NAME,
      branch: "main",
      at: before,
    });
    expect(viaQuery.ready[0].checksum).toBe(md5(a.content!));
    const sentAt = sim.requestLog
      .filter(e => e.path.includes("at="))
      .map(e => new URL(e.path, sim.url).searchParams.get("at"));
    expect(sentAt).toHaveLength(3); // GraphQL find, download by artifact id, stored query (storage ids are not time-bound)
    expect(
      sentAt.every(v => v !== null && /Z$/.test(v) && Date.parse(v) === before.getTime()),
    ).toBe(true);
  });

  it("reports artifacts that are not Ready or have no stored content", async () => {
    const [ok, pending, failed] = seedArtifacts(sim, 3);
    sim.setArtifactStatus("main", pending.id, "Pending");
    sim.setArtifactStatus("main", failed.id, "Error");
    const { ready, notReady } = await client.findArtifacts({ branch: "main" });
    expect(ready.map(a => a.id)).toEqual([ok.id]);
    expect(notReady.map(n => [n.artifact.id, n.reason]).sort()).toEqual(
      [
        [pending.id, "its status in Infrahub is Pending, not Ready"],
        [failed.id, "its status in Infrahub is Error, not Ready"],
      ].sort(),
    );
    const noContent = sim.upsertArtifact("main", {
      definition: DEFINITION,
      target: { label: "empty" },
      status: "Ready",
    });
    expect(noContent.storageId).toBeNull();
    const again = await client.findArtifacts({ branch: "main", artifactIds: [noContent.id] });
    expect(again.ready).toEqual([]);
    expect(again.notReady.map(n => n.reason)).toEqual([
      "Infrahub has no stored content for it yet (storage_id is empty)",
    ]);
  });

  // Infrahub 1.11.9 puts /api/info behind get_current_user: without anonymous access (this
  // simulator's setting) an uncredentialed check is a 401.
  it("answers the reachability check with the sync's credentials, anonymous access off", async () => {
    expect(await client.info()).toEqual({
      version: "1.11.9-sim",
      deploymentId: expect.any(String),
    });
    expect(sim.requestLog.find(e => e.endpoint === "GET /api/info")?.headers.authorization).toMatch(
      /^Bearer /,
    );
  });
});
