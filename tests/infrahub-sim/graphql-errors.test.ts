import { startInfrahubSimulator, type InfrahubSimulator } from "../../hack/infrahub-sim";
import {
  DEFINITION,
  KEY,
  baseSeed,
  gql,
  gqlBody,
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
    it("formats validation errors like graphql-core (single quotes), with HTTP 200 and data null", async () => {
      const res = await gql(sim, "{\n  CoreArtifact {\n    edges { node { foo } }\n  }\n}");
      expect(res.status).toBe(200);
      expect(res.json).toEqual({
        data: null,
        errors: [
          {
            message: "Cannot query field 'foo' on type 'CoreArtifact'.",
            locations: [{ line: 3, column: 20 }],
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
          },
        ],
      });
    });

    it("reports syntax errors, unknown operations and mutations as GraphQL errors", async () => {
      const syntax = await gql(sim, "{ CoreArtifact {");
      expect(syntax.status).toBe(200);
      expect(syntax.json).toEqual({
        data: null,
        errors: [
          {
            message: "Syntax Error: Expected Name, found <EOF>.",
            locations: [{ line: 1, column: 17 }],
          },
        ],
      });
      const unknownOp = await postJson(
        `${sim.url}/graphql`,
        { query: "query A { InfrahubInfo { version } }", operationName: "B" },
        KEY,
      );
      expect(unknownOp.json).toEqual({
        data: null,
        errors: [{ message: "Unknown operation named 'B'." }],
      });
      const mutation = await gql(sim, "mutation { CoreArtifactCreate { ok } }");
      expect(gqlBody(mutation).errors?.[0].message).toBe("Schema is not configured for mutations.");
      const variable = await gql(sim, "query Q($l: Int) { CoreArtifact(limit: $l) { count } }", {
        variables: { l: "ten" },
      });
      expect(variable.status).toBe(200);
      expect(gqlBody(variable).data).toBeNull();
      expect(gqlBody(variable).errors?.[0].message).toMatch(
        /^Variable '\$l' got invalid value 'ten'; Int cannot represent non-integer value: 'ten'$/,
      );
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
      expect(await post("{}")).toMatchObject({
        status: 400,
        json: { errors: ["Must provide query string."] },
      });
    });

    it("answers an unknown branch with 404 and a plain-string error", async () => {
      const res = await gql(sim, "{ CoreArtifact { count } }", { branch: "does-not-exist" });
      expect(res.status).toBe(404);
      expect(res.json).toEqual({ errors: ["Branch: does-not-exist not found."] });
    });

    it("rejects an `at` that is not ISO 8601 with a 400 envelope", async () => {
      const res = await gql(sim, "{ CoreArtifact { count } }", { at: "now-2h" });
      expect(res.status).toBe(400);
      expect(res.json).toEqual({
        data: null,
        errors: [{ message: "Invalid time format for now-2h", extensions: { code: 400 } }],
      });
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
