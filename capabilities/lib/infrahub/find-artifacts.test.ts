import { nullLogger, recordingLogger } from "../logger";
import { parseArtifactNode, readiness } from "./artifact-parse";
import { InfrahubInvalidResponseError } from "./errors";
import { findByGraphql, findByStoredQuery, type JsonCall } from "./find-artifacts";
import type { RequestSpec } from "./requester";

const ADDRESS = "http://infrahub.test";

function node(id: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    name: { value: `name-${id}` },
    status: { value: "Ready" },
    content_type: { value: "application/yaml" },
    checksum: { value: "ABCDEF" },
    storage_id: { value: `storage-${id}` },
    object: { node: { id: `target-${id}`, display_label: `label-${id}` } },
    definition: { node: { id: "def", name: { value: "Webserver_Artifact_Definition" } } },
    ...extra,
  };
}

const page = (count: number, nodes: unknown[]) => ({
  data: { CoreArtifact: { count, edges: nodes.map(n => ({ node: n })) } },
});

function recorder(answer: (spec: Omit<RequestSpec, "expect">, index: number) => unknown) {
  const calls: Array<Omit<RequestSpec, "expect">> = [];
  const call: JsonCall = async spec => {
    calls.push(spec);
    return answer(spec, calls.length - 1);
  };
  return {
    calls,
    ctx: { call, address: ADDRESS, logger: nullLogger, secrets: () => ["s3cret-token"] },
  };
}

describe("parseArtifactNode", () => {
  it("reads every optional field", () => {
    expect(parseArtifactNode(node("a"))?.artifact).toEqual({
      id: "a",
      name: "name-a",
      status: "Ready",
      contentType: "application/yaml",
      checksum: "abcdef",
      storageId: "storage-a",
      targetId: "target-a",
      targetLabel: "label-a",
      definitionName: "Webserver_Artifact_Definition",
    });
  });

  it("never takes Vidra's storage_id { id } (the attribute id) as a storage id", () => {
    const parsed = parseArtifactNode({
      id: "a",
      storage_id: { id: "attribute-uuid" },
      checksum: { value: "c" },
    });
    expect(parsed?.artifact.storageId).toBeNull();
    expect(parsed?.storageIdSelected).toBe(false);
    expect(parsed && readiness(parsed, "stored-query")).toEqual({ ready: true });
  });

  it("needs an id", () => {
    expect(parseArtifactNode({ name: { value: "x" } })).toBeUndefined();
    expect(parseArtifactNode(null)).toBeUndefined();
  });
});

describe("readiness", () => {
  const parsed = (extra: Record<string, unknown>) => parseArtifactNode({ id: "a", ...extra })!;

  it("reports artifacts that are not Ready", () => {
    expect(readiness(parsed({ status: { value: "Pending" } }), "stored-query")).toEqual({
      ready: false,
      reason: "its status in Infrahub is Pending, not Ready",
    });
  });

  it("assumes Ready when a stored query leaves the status out, not in GraphQL mode", () => {
    expect(readiness(parsed({}), "stored-query").ready).toBe(true);
    expect(readiness(parsed({ storage_id: { value: "s" } }), "graphql").ready).toBe(false);
  });

  it("reports a selected but empty storage id", () => {
    const p = parsed({ status: { value: "Ready" }, storage_id: { value: null } });
    expect(readiness(p, "stored-query")).toEqual({
      ready: false,
      reason: expect.stringContaining("no stored content"),
    });
    expect(readiness(p, "graphql").ready).toBe(false);
  });
});

describe("findByStoredQuery", () => {
  it("sends Vidra's request and splits ready from not-ready artifacts", async () => {
    const { calls, ctx } = recorder(() => ({
      data: {
        CoreArtifact: {
          edges: [
            {
              node: {
                id: "a",
                storage_id: { id: "attr-1" },
                checksum: { value: "c1" },
                name: { value: "Web" },
              },
            },
            { node: { id: "b", status: { value: "Error" } } },
            { node: { id: "a", checksum: { value: "c1" } } },
          ],
        },
      },
    }));
    const result = await findByStoredQuery(ctx, {
      queryName: "Artifact IDs",
      artifactName: "Webserver_Manifest",
      branch: "feature/x",
      at: new Date("2025-01-01T00:00:00Z"),
    });
    expect(calls[0]).toMatchObject({
      method: "POST",
      path: "/api/query/Artifact%20IDs",
      query: { branch: "feature/x", at: "2025-01-01T00:00:00Z", update_group: "false" },
      body: { variables: { artifactname: "Webserver_Manifest" } },
      endpoint: "POST /api/query",
    });
    expect(result.ready.map(a => a.id)).toEqual(["a"]);
    expect(result.ready[0].storageId).toBeNull();
    expect(result.notReady).toEqual([
      { artifact: expect.objectContaining({ id: "b" }), reason: expect.stringContaining("Error") },
    ]);
  });

  it("turns GraphQL errors into a non-retryable InvalidResponse naming them", async () => {
    const { ctx } = recorder(() => ({
      data: null,
      errors: [{ message: "Cannot query field 'foo' on type 'CoreArtifact'." }],
    }));
    const err = await findByStoredQuery(ctx, {
      queryName: "Q",
      artifactName: "x",
      branch: "main",
    }).catch(e => e);
    expect(err).toBeInstanceOf(InfrahubInvalidResponseError);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain("Cannot query field 'foo'");
    expect(err.endpoint).toBe("POST /api/query/Q?branch=main&update_group=false");
  });

  it.each([
    { data: {} },
    { data: { CoreArtifact: { edges: "x" } } },
    { data: { CoreArtifact: { edges: [{ node: { name: 1 } }] } } },
  ])("rejects an answer shaped %j", async body => {
    const { ctx } = recorder(() => body);
    await expect(
      findByStoredQuery(ctx, { queryName: "Q", artifactName: "x", branch: "main" }),
    ).rejects.toMatchObject({
      reason: "InvalidResponse",
      retryable: false,
    });
  });
});

describe("findByGraphql", () => {
  const ids = (n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => `id-${String(i + from).padStart(4, "0")}`);

  it("reads every page until count, sending only the filters given", async () => {
    const all = ids(250);
    const { calls, ctx } = recorder(spec => {
      const v = (spec.body as { variables: { offset: number; limit: number } }).variables;
      return page(
        250,
        all.slice(v.offset, v.offset + v.limit).map(id => node(id)),
      );
    });
    const result = await findByGraphql(
      ctx,
      { branch: "release/1.0", artifactNames: ["Web"], definitionName: "Def" },
      100,
    );
    expect(calls).toHaveLength(3);
    expect(calls[0].path).toBe("/graphql/release%2F1.0");
    expect(calls.map(c => (c.body as { variables: unknown }).variables)).toEqual([
      { names: ["Web"], definitionName: "Def", offset: 0, limit: 100 },
      { names: ["Web"], definitionName: "Def", offset: 100, limit: 100 },
      { names: ["Web"], definitionName: "Def", offset: 200, limit: 100 },
    ]);
    expect(result.ready).toHaveLength(250);
    expect(result.notReady).toHaveLength(0);
  });

  it("makes no request for an empty id list", async () => {
    const { calls, ctx } = recorder(() => page(0, []));
    expect(await findByGraphql(ctx, { branch: "main", targetIds: [] }, 100)).toEqual({
      ready: [],
      notReady: [],
    });
    expect(calls).toHaveLength(0);
  });

  it("stops on an empty page before count (not retryable)", async () => {
    const { calls, ctx } = recorder((_s, i) => page(5, i === 0 ? ids(2).map(id => node(id)) : []));
    const err = await findByGraphql(ctx, { branch: "main" }, 2).catch(e => e);
    expect(err).toMatchObject({ reason: "InvalidResponse", retryable: false });
    expect(err.message).toContain("empty page at offset 2");
    expect(calls).toHaveLength(2);
  });

  it("fails retryably when count changes between pages", async () => {
    const { ctx } = recorder((_s, i) =>
      page(
        i === 0 ? 4 : 5,
        ids(2, i * 2).map(id => node(id)),
      ),
    );
    const err = await findByGraphql(ctx, { branch: "main" }, 2).catch(e => e);
    expect(err).toMatchObject({ reason: "InvalidResponse", retryable: true });
    expect(err.message).toContain("result changed while paging (count went from 4 to 5)");
  });

  it("fails retryably when pages repeat artifacts", async () => {
    const logger = recordingLogger();
    const { ctx } = recorder(() =>
      page(
        4,
        ids(2).map(id => node(id)),
      ),
    );
    const err = await findByGraphql({ ...ctx, logger }, { branch: "main" }, 2).catch(e => e);
    expect(err).toMatchObject({ reason: "InvalidResponse", retryable: true });
    expect(logger.records.some(r => r.msg === "Infrahub repeated artifacts across pages")).toBe(
      true,
    );
  });

  it("accepts a server that ignores limit and sends everything at once", async () => {
    const { calls, ctx } = recorder(() =>
      page(
        7,
        ids(7).map(id => node(id)),
      ),
    );
    expect((await findByGraphql(ctx, { branch: "main" }, 2)).ready).toHaveLength(7);
    expect(calls).toHaveLength(1);
  });

  it("reports not-ready artifacts and ones without stored content", async () => {
    const { ctx } = recorder(() =>
      page(3, [
        node("a"),
        node("b", { status: { value: "Processing" } }),
        node("c", { storage_id: { value: null } }),
      ]),
    );
    const result = await findByGraphql(ctx, { branch: "main" }, 100);
    expect(result.ready.map(a => a.id)).toEqual(["a"]);
    expect(result.notReady.map(n => [n.artifact.id, n.reason])).toEqual([
      ["b", "its status in Infrahub is Processing, not Ready"],
      ["c", "Infrahub has no stored content for it yet (storage_id is empty)"],
    ]);
  });

  it("rejects a missing count", async () => {
    const { ctx } = recorder(() => ({ data: { CoreArtifact: { edges: [] } } }));
    await expect(findByGraphql(ctx, { branch: "main" }, 10)).rejects.toThrow(
      /no valid CoreArtifact.count/,
    );
  });
});
