import { parse, validate } from "graphql";
import { infrahubSchema } from "../../../hack/infrahub-sim/schema";
import { nullLogger } from "../logger";
import { findArtifactsBatchQuery } from "./artifact-documents";
import { findByGraphqlBatch } from "./batched-lookup";
import { InfrahubInvalidResponseError } from "./errors";
import type { JsonCall } from "./find-artifacts";
import type { RequestSpec } from "./requester";

const node = (id: string) => ({
  id,
  name: { value: "Webserver_Manifest" },
  status: { value: "Ready" },
  checksum: { value: `sum-${id}` },
  storage_id: { value: `storage-${id}` },
  object: { node: { id: `target-${id}`, display_label: id } },
  definition: { node: { id: "def", name: { value: "Def" } } },
});
const page = (count: number, ids: string[]) => ({
  count,
  edges: ids.map(id => ({ node: node(id) })),
});

type Body = { query: string; variables: Record<string, unknown>; operationName: string };

function recorder(answer: (body: Body, index: number) => unknown) {
  const calls: Array<Omit<RequestSpec, "expect">> = [];
  const call: JsonCall = async spec => {
    calls.push(spec);
    return answer(spec.body as Body, calls.length - 1);
  };
  const bodies = () => calls.map(c => c.body as Body);
  return {
    calls,
    bodies,
    ctx: { call, address: "http://infrahub.test", logger: nullLogger, secrets: () => [] },
  };
}

const ids = (r: { ready: Array<{ id: string }> }) => r.ready.map(a => a.id);

describe("findArtifactsBatchQuery", () => {
  it("is valid against Infrahub 1.11.9's schema (as the simulator has it), for any size", () => {
    for (const n of [1, 2, 7])
      expect(validate(infrahubSchema, parse(findArtifactsBatchQuery(n)))).toEqual([]);
  });

  it("gives each lookup its alias and its own variables", () => {
    const doc = findArtifactsBatchQuery(2);
    expect(doc).toMatch(/a0: CoreArtifact\(\s*name__values: \$names_0/);
    expect(doc).toMatch(/a1: CoreArtifact\(\s*name__values: \$names_1/);
    expect(doc).toContain("offset: $offset_1");
    expect(() => findArtifactsBatchQuery(0)).toThrow(RangeError);
  });
});

describe("findByGraphqlBatch", () => {
  it("sends every lookup in one request and returns each its own answer, in order", async () => {
    const r = recorder(() => ({
      data: { a0: page(1, ["x1"]), a1: page(2, ["y1", "y2"]), a2: page(0, []) },
    }));
    const results = await findByGraphqlBatch(
      r.ctx,
      {
        branch: "feature/x",
        lookups: [
          { artifactNames: ["X"] },
          { artifactNames: ["Y"], definitionName: "D", targetIds: ["t"] },
          { artifactNames: ["Z"] },
        ],
      },
      100,
      50,
    );
    expect(results.map(ids)).toEqual([["x1"], ["y1", "y2"], []]);
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0].path).toBe("/graphql/feature%2Fx");
    expect(r.bodies()[0].operationName).toBe("FindArtifactsBatch");
    expect(r.bodies()[0].variables).toEqual({
      names_0: ["X"],
      offset_0: 0,
      limit_0: 100,
      names_1: ["Y"],
      definitionName_1: "D",
      targetIds_1: ["t"],
      offset_1: 0,
      limit_1: 100,
      names_2: ["Z"],
      offset_2: 0,
      limit_2: 100,
    });
  });

  it("pages each lookup until its count, asking only for the lookups not yet complete", async () => {
    const r = recorder((_body, i) =>
      i === 0
        ? { data: { a0: page(1, ["x1"]), a1: page(3, ["y1", "y2"]) } }
        : { data: { a0: page(3, ["y3"]) } },
    );
    const results = await findByGraphqlBatch(
      r.ctx,
      { branch: "main", lookups: [{ artifactNames: ["X"] }, { artifactNames: ["Y"] }] },
      2,
      50,
    );
    expect(results.map(ids)).toEqual([["x1"], ["y1", "y2", "y3"]]);
    expect(r.bodies()[1].variables).toEqual({ names_0: ["Y"], offset_0: 2, limit_0: 2 });
    expect(r.bodies()[1].query).not.toContain("a1:");
  });

  it("splits more lookups than fit in one request", async () => {
    const r = recorder(body => ({
      data: Object.fromEntries(
        Object.keys(body.variables)
          .filter(k => k.startsWith("names_"))
          .map(k => [`a${k.slice(6)}`, page(1, [(body.variables[k] as string[])[0]])]),
      ),
    }));
    const results = await findByGraphqlBatch(
      r.ctx,
      { branch: "main", lookups: ["A", "B", "C"].map(n => ({ artifactNames: [n] })) },
      100,
      2,
    );
    expect(results.map(ids)).toEqual([["A"], ["B"], ["C"]]);
    expect(r.calls).toHaveLength(2);
  });

  it("answers a lookup that matches nothing (an empty list) without asking", async () => {
    const r = recorder(() => ({ data: { a0: page(1, ["x1"]) } }));
    const results = await findByGraphqlBatch(
      r.ctx,
      {
        branch: "main",
        lookups: [{ artifactNames: ["X"], targetIds: [] }, { artifactNames: ["X"] }],
      },
      100,
      50,
    );
    expect(results.map(ids)).toEqual([[], ["x1"]]);
    expect(r.bodies()[0].variables).toEqual({ names_0: ["X"], offset_0: 0, limit_0: 100 });
  });

  it("fails the whole batch on GraphQL errors or a lookup's bad page", async () => {
    const errors = recorder(() => ({ data: null, errors: [{ message: "boom" }] }));
    await expect(
      findByGraphqlBatch(
        errors.ctx,
        { branch: "main", lookups: [{ artifactNames: ["X"] }] },
        100,
        50,
      ),
    ).rejects.toBeInstanceOf(InfrahubInvalidResponseError);
    const missing = recorder(() => ({ data: { a0: page(1, ["x1"]) } }));
    await expect(
      findByGraphqlBatch(
        missing.ctx,
        { branch: "main", lookups: [{ artifactNames: ["X"] }, { artifactNames: ["Y"] }] },
        100,
        50,
      ),
    ).rejects.toThrow("no data.a1.edges list");
  });
});
