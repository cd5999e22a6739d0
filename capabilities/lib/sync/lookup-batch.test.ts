import type { FindResult, InfrahubClient } from "../infrahub";
import { artifactBatcher, findThroughBatch } from "./lookup-batch";
import type { InfrahubSyncObject } from "./resources";

const found = (id: string): FindResult => ({
  ready: [
    {
      id,
      name: null,
      status: "Ready",
      contentType: null,
      checksum: "c",
      storageId: null,
      targetId: null,
      targetLabel: null,
      definitionName: null,
    },
  ],
  notReady: [],
});

/** A client that records its calls and answers each lookup with an artifact named after it. */
function fakeClient() {
  const calls: unknown[] = [];
  const client = {
    findArtifactsBatch: async (q: {
      branch: string;
      at?: Date;
      lookups: Array<{ artifactNames?: string[] }>;
    }) => {
      calls.push({ batch: q.lookups.map(l => l.artifactNames?.[0]), branch: q.branch, at: q.at });
      return q.lookups.map(l => found(`${q.branch}:${l.artifactNames?.[0]}`));
    },
    findArtifactsByStoredQuery: async (q: { artifactName: string; queryName: string }) => {
      calls.push({ stored: q.artifactName, query: q.queryName });
      return found(`sq:${q.artifactName}`);
    },
  };
  return { client: client as unknown as InfrahubClient, calls };
}

function sync(
  name: string,
  source: Partial<NonNullable<InfrahubSyncObject["spec"]>["source"]>,
): InfrahubSyncObject {
  return {
    metadata: { name },
    spec: {
      source: {
        infrahubAPIURL: "http://infrahub",
        targetBranch: "main",
        artefactName: `Art_${name}`,
        discovery: "GraphQL",
        ...source,
      },
    },
  } as InfrahubSyncObject;
}

const ids = (r: { result: FindResult }) => r.result.ready.map(a => a.id);

describe("findThroughBatch", () => {
  const opts = (branch = "main") => ({ branch, queryName: "ArtifactIDs", notBefore: Date.now() });

  it("answers GraphQL syncs of one client, branch and date with one request, each its own slice", async () => {
    const batcher = artifactBatcher({ windowMs: 5, dueOf: () => undefined });
    const { client, calls } = fakeClient();
    const answers = await Promise.all([
      findThroughBatch(batcher, client, sync("a", {}), opts()),
      findThroughBatch(batcher, client, sync("b", {}), opts()),
      findThroughBatch(batcher, client, sync("c", { targetBranch: "dev" }), opts("dev")),
      findThroughBatch(batcher, client, sync("d", { targetDate: "now-1h" }), opts()),
    ]);
    expect(answers.map(ids)).toEqual([
      ["main:Art_a"],
      ["main:Art_b"],
      ["dev:Art_c"],
      ["main:Art_d"],
    ]);
    expect(calls).toHaveLength(3);
    expect(calls).toContainEqual({ batch: ["Art_a", "Art_b"], branch: "main", at: undefined });
    // A relative date is read when the request is sent.
    const dated = calls.find(c => (c as { batch?: string[] }).batch?.[0] === "Art_d") as {
      at: Date;
    };
    expect(Math.abs(dated.at.getTime() - (Date.now() - 3_600_000))).toBeLessThan(60_000);
    expect(new Set(answers.map(a => a.group)).size).toBe(3);
  });

  it("never mixes clients (address, identity, TLS)", async () => {
    const batcher = artifactBatcher({ windowMs: 5, dueOf: () => undefined });
    const one = fakeClient();
    const two = fakeClient();
    await Promise.all([
      findThroughBatch(batcher, one.client, sync("a", {}), opts()),
      findThroughBatch(batcher, two.client, sync("b", {}), opts()),
    ]);
    expect(one.calls).toEqual([{ batch: ["Art_a"], branch: "main", at: undefined }]);
    expect(two.calls).toEqual([{ batch: ["Art_b"], branch: "main", at: undefined }]);
  });

  it("shares a stored query's request only between identical lookups", async () => {
    const batcher = artifactBatcher({ windowMs: 5, dueOf: () => undefined });
    const { client, calls } = fakeClient();
    const stored = (name: string, artefactName: string) =>
      sync(name, { discovery: "StoredQuery", artefactName });
    const answers = await Promise.all([
      findThroughBatch(batcher, client, stored("a", "Same"), opts()),
      findThroughBatch(batcher, client, stored("b", "Same"), opts()),
      findThroughBatch(batcher, client, stored("c", "Other"), opts()),
    ]);
    expect(answers.map(ids)).toEqual([["sq:Same"], ["sq:Same"], ["sq:Other"]]);
    expect(calls).toEqual(
      expect.arrayContaining([
        { stored: "Same", query: "ArtifactIDs" },
        { stored: "Other", query: "ArtifactIDs" },
      ]),
    );
    expect(calls).toHaveLength(2);
  });
});
