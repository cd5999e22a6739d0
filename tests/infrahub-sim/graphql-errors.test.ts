import { startInfrahubSimulator, type InfrahubSimulator } from "../../hack/infrahub-sim";
import {
  DEFINITION,
  KEY,
  UNDEFINED_ERROR,
  baseSeed,
  gql,
  gqlBody,
  gqlEnvelope,
  http,
  page,
  postJson,
  type GqlNode,
  type HttpResult,
} from "./helpers";

// Contract: infrahub-api.md §2.1-2.2 (branch routing, transport and validation errors).
describe("Infrahub simulator GraphQL errors and routing", () => {
  let sim: InfrahubSimulator;
  const nodes = (res: HttpResult, field = "CoreArtifact"): GqlNode[] =>
    page(res, field).edges.map(e => e.node);

  beforeAll(async () => {
    sim = await startInfrahubSimulator({ seed: baseSeed() });
    for (let i = 3; i <= 12; i++) {
      sim.upsertArtifact("main", {
        definition: DEFINITION,
        target: { label: `web-${String(i).padStart(2, "0")}` },
        content: `web ${i}\n`,
      });
    }
    sim.upsertArtifact("main", { definition: DEFINITION, target: { label: "web-pending" } });
    sim.createBranch("feature/x");
  });
  afterAll(() => sim.stop());

  describe("errors", () => {
    it("formats validation errors like graphql-core (single quotes) with catalogue extensions, HTTP 200 and data null", async () => {
      const res = await gql(sim, "{\n  CoreArtifact {\n    edges { node { foo } }\n  }\n}");
      expect(res.status).toBe(200);
      expect(res.json).toEqual({
        data: null,
        errors: [
          {
            message: "Cannot query field 'foo' on type 'CoreArtifact'.",
            locations: [{ line: 3, column: 20 }],
            extensions: UNDEFINED_ERROR,
          },
        ],
      });
      const arg = await gql(sim, "{ CoreArtifact(bogus: 1) { count } }");
      expect(arg.status).toBe(200);
      expect(arg.json).toEqual({
        data: null,
        errors: [
          {
            message: "Unknown argument 'bogus' on field 'Query.CoreArtifact'.",
            locations: [{ line: 1, column: 16 }],
            extensions: UNDEFINED_ERROR,
          },
        ],
      });
    });

    // On infrahub-server 1.11.9 the query analyzer runs before execution and crashes on these:
    // a bare text/plain 500, not a GraphQL error (contract gql/syntax-error, gql/variable-*).
    it("answers a syntax error, a bad variable value or a missing variable with a bare 500", async () => {
      for (const [query, variables] of [
        ["{ CoreArtifact {", undefined],
        ["query Q($l: Int) { CoreArtifact(limit: $l) { count } }", { l: "ten" }],
        ["query Q($n: String!) { CoreArtifact(name__value: $n) { count } }", {}],
      ] as const) {
        const res = await gql(sim, query, { variables });
        expect(res.status).toBe(500);
        expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
        expect(res.text).toBe("Internal Server Error");
      }
    });

    it("reports unknown operations, unknown mutations and resolver errors as GraphQL errors", async () => {
      const unknownOp = await postJson(
        `${sim.url}/graphql`,
        { query: "query A { InfrahubInfo { version } }", operationName: "B" },
        KEY,
      );
      expect(unknownOp.json).toEqual({
        data: null,
        errors: [{ message: "Unknown operation named 'B'.", extensions: UNDEFINED_ERROR }],
      });
      const mutation = await gql(sim, "mutation { CoreArtifactCreate { ok } }");
      expect(gqlBody(mutation).errors?.[0].message).toBe(
        "Cannot query field 'CoreArtifactCreate' on type 'Mutation'.",
      );
      const negative = await gql(sim, "{ CoreArtifact(limit: -1) { count } }");
      expect(negative.status).toBe(200);
      expect(negative.json).toEqual({
        data: null,
        errors: [
          {
            message: "limit must be a non-negative integer",
            locations: [{ line: 1, column: 3 }],
            path: ["CoreArtifact"],
            extensions: UNDEFINED_ERROR,
          },
        ],
      });
      const existing = await gql(
        sim,
        'mutation { BranchCreate(data: {name: "feature/x"}) { ok } }',
      );
      expect(gqlBody(existing).errors?.[0]).toMatchObject({
        message: "The branch feature/x already exists",
        extensions: { code: "UNDEFINED_ERROR", http_status: 422 },
      });
    });

    it("answers transport errors with 400 and plain-string errors", async () => {
      const post = (body: string, contentType = "application/json") =>
        http(`${sim.url}/graphql`, {
          method: "POST",
          headers: { "Content-Type": contentType, ...KEY },
          body,
        });
      expect(await post("{bad json")).toMatchObject({
        status: 400,
        json: { errors: ["Request body is not a valid JSON"] },
      });
      expect(await post("[]")).toMatchObject({
        status: 400,
        json: { errors: ["This server does not support batching"] },
      });
      expect(await post("{}", "text/plain")).toMatchObject({
        status: 400,
        json: { errors: ["Content-type must be application/json or multipart/form-data"] },
      });
      // Infrahub reads operation["query"] without a check: an unhandled error.
      expect(await post("{}")).toMatchObject({ status: 500, text: "Internal Server Error" });
      expect(await post('"x"')).toMatchObject({ status: 500, text: "Internal Server Error" });
    });

    it("answers an unknown branch with 404 and a plain-string error", async () => {
      const res = await gql(sim, "{ CoreArtifact { count } }", { branch: "does-not-exist" });
      expect(res.status).toBe(404);
      expect(res.json).toEqual({ errors: ["Branch: does-not-exist not found."] });
    });

    it("rejects an `at` that is no time, relative or absolute, with a 400 catalogue envelope", async () => {
      const res = await gql(sim, "{ CoreArtifact { count } }", { at: "yesterday" });
      expect(res.status).toBe(400);
      expect(res.json).toEqual(gqlEnvelope(400, "Invalid time format for yesterday"));
    });
  });

  it("routes /graphql/{branch} with a slash in the branch, URL-encoded or not", async () => {
    const encoded = await gql(sim, "{ CoreArtifact { count } }", { branch: "feature/x" });
    expect(encoded.status).toBe(200);
    expect(page(encoded).count).toBe(14);
    const raw = await http(`${sim.url}/graphql/feature/x`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...KEY },
      body: JSON.stringify({ query: "{ CoreArtifact { count } }" }),
    });
    expect(page(raw).count).toBe(14);
  });

  it("learns new target kinds so __typename is the target's kind", async () => {
    sim.upsertArtifact("main", {
      definition: DEFINITION,
      target: { label: "edge-1", kind: "InfraRouter", id: "t-edge-1" },
      content: "x",
    });
    const res = await gql(
      sim,
      '{ CoreArtifact(object__ids: ["t-edge-1"]) { edges { node { object { node { __typename display_label } } } } } }',
    );
    expect(nodes(res)[0].object.node).toEqual({
      __typename: "InfraRouter",
      display_label: "edge-1",
    });
    sim.deleteArtifact(
      "main",
      nodes(
        await gql(sim, '{ CoreArtifact(object__ids: ["t-edge-1"]) { edges { node { id } } } }'),
      )[0].id,
    );
  });
});
