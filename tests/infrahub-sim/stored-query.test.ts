import {
  startInfrahubSimulator,
  VIDRA_ARTIFACT_IDS_QUERY,
  type InfrahubSimulator,
} from "../../hack/infrahub-sim";
import { formatMicros, parseAt } from "../../hack/infrahub-sim/clock";
import { ARTIFACT_NAME, KEY, baseSeed, envelope, http, page, postJson } from "./helpers";

// Contract: POST /api/query/{name} as Vidra calls it (vidra-original.md §2.2 step 5, §7) and as
// backend/infrahub/api/query.py + graphql/utils.py::extract_data answer it.
describe("Infrahub simulator stored queries", () => {
  let sim: InfrahubSimulator;
  const run = (
    name: string,
    variables: unknown,
    params = "",
    headers: Record<string, string> = KEY,
  ) =>
    postJson(`${sim.url}/api/query/${encodeURIComponent(name)}${params}`, { variables }, headers);
  type Edge = {
    node: {
      id: string;
      storage_id: { id: string };
      checksum: { value: string };
      name: { value: string };
    };
  };
  const edges = (res: { json: unknown }): Edge[] =>
    (res.json as { data: { CoreArtifact: { edges: Edge[] } } }).data.CoreArtifact.edges;

  beforeAll(async () => {
    sim = await startInfrahubSimulator({ seed: baseSeed({ branches: [{ name: "feature-x" }] }) });
  });
  afterAll(() => sim.stop());

  it("registers Vidra's ArtifactIDs document verbatim", () => {
    expect(VIDRA_ARTIFACT_IDS_QUERY).toBe(`query ArtifactIDs($artifactname: [String]) {
  CoreArtifact(name__values: $artifactname) {
    edges {
      node {
        id
        storage_id { id }
        checksum { value }
        name { value }
      }
    }
  }
}`);
  });

  it("runs ArtifactIDs with Vidra's scalar string variable (list coercion) and answers {data}", async () => {
    const res = await run(
      "ArtifactIDs",
      { artifactname: ARTIFACT_NAME },
      "?branch=main&update_group=false",
    );
    expect(res.status).toBe(200);
    expect(Object.keys(res.json as object)).toEqual(["data"]);
    const got = edges(res);
    expect(got.map(e => e.node.id).sort()).toEqual(["a-web-01", "a-web-02"]);
    const web01 = sim.listArtifacts("main").find(a => a.id === "a-web-01")!;
    const node = got.find(e => e.node.id === "a-web-01")!.node;
    expect(node.checksum.value).toBe(web01.checksum);
    expect(node.name.value).toBe(ARTIFACT_NAME);
    // storage_id { id } is the attribute's own id, not the storage id (what real Vidra reads).
    expect(node.storage_id.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(node.storage_id.id).not.toBe(web01.storageId);
  });

  it("accepts a list variable, no variables, an empty body and the default branch", async () => {
    expect(
      edges(await run("ArtifactIDs", { artifactname: [ARTIFACT_NAME, "VM_Manifest"] })),
    ).toHaveLength(3);
    expect(edges(await run("ArtifactIDs", {}))).toHaveLength(3);
    const empty = await http(`${sim.url}/api/query/ArtifactIDs`, { method: "POST", headers: KEY });
    expect(empty.status).toBe(200);
    expect(edges(empty)).toHaveLength(3);
  });

  it("reads the branch from ?branch= and the instant from ?at=", async () => {
    sim.upsertArtifact("feature-x", {
      definition: "VM_Artifact_Definition",
      target: { label: "vm-branch-only" },
      content: "x",
    });
    expect(
      edges(await run("ArtifactIDs", { artifactname: "VM_Manifest" }, "?branch=feature-x")),
    ).toHaveLength(2);
    expect(
      edges(await run("ArtifactIDs", { artifactname: "VM_Manifest" }, "?branch=main")),
    ).toHaveLength(1);
    const [vm] = sim.listArtifacts("main").filter(a => a.name === "VM_Manifest");
    const justBefore = formatMicros(parseAt(vm.updatedAt)! - 1);
    const early = await run(
      "ArtifactIDs",
      { artifactname: "VM_Manifest" },
      `?branch=main&at=${encodeURIComponent(justBefore)}`,
    );
    expect(edges(early)).toEqual([]);
    // Before main existed: infrahub-server 1.11.9 refuses with 422 (contract sq/at-before-main).
    const tooEarly = await run("ArtifactIDs", {}, "?branch=main&at=2001-01-01T00:00:00Z");
    expect(tooEarly.status).toBe(422);
    expect((tooEarly.json as { errors: Array<{ message: string }> }).errors[0].message).toMatch(
      /^Requested time '2001-01-01T00:00:00\.000000Z' is before branch 'main' was created at /,
    );
  });

  it("pins the error statuses: 400 branch, 400 at, 404 query, 401 anonymous and bad token, 422 body", async () => {
    const branch = await run("ArtifactIDs", {}, "?branch=nope");
    expect(branch.status).toBe(400);
    expect(branch.json).toEqual(envelope(400, "Branch: nope not found."));
    const at = await run("ArtifactIDs", {}, "?at=yesterday");
    expect(at.status).toBe(400);
    expect(at.json).toEqual(envelope(400, "Invalid time format for yesterday"));
    const unknown = await run("NoSuchQuery", {});
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual(
      envelope(404, "Unable to find the node NoSuchQuery / CoreGraphQLQuery in the database."),
    );
    const anonymous = await run("ArtifactIDs", {}, "", {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.json).toEqual(envelope(401, "Authentication is required"));
    const badToken = await run("ArtifactIDs", {}, "", { Authorization: "Bearer x.y.z" });
    expect(badToken.json).toEqual(envelope(401, "Invalid token"));
    const notDict = await run("ArtifactIDs", ["a"]);
    expect(notDict.status).toBe(422);
    expect(notDict.json).toEqual({
      detail: [
        {
          type: "dict_type",
          loc: ["body", "variables"],
          msg: "Input should be a valid dictionary",
          input: ["a"],
        },
      ],
    });
  });

  // As infrahub-server 1.11.9 answers (contract sq/resolver-error): GraphQLQueryError's errors
  // are dicts, so the envelope's `message` is an object, and `extensions.code` is 502.
  it("answers errors while the query runs like extract_data: 502 with message objects", async () => {
    sim.registerStoredQuery("Failing", "query Failing { CoreArtifact(limit: -1) { count } }");
    const res = await run("Failing", {});
    expect(res.status).toBe(502);
    expect(res.json).toEqual({
      data: null,
      errors: [
        {
          message: {
            message: "GraphQLQuery Failing: limit must be a non-negative integer",
            path: ["CoreArtifact"],
            locations: [{ line: 1, column: 17 }],
          },
          extensions: { code: 502 },
        },
      ],
    });
  });

  // Contract sq/missing-variable, sq/wrong-variable-type, sq/wrong-list-item.
  it("answers variables that do not fit the document with a bare 500", async () => {
    for (const variables of [{ artifactname: [5] }, { artifactname: { a: 1 } }]) {
      const res = await run("ArtifactIDs", variables);
      expect(res.status).toBe(500);
      expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(res.text).toBe("Internal Server Error");
    }
  });

  it("decodes the body before anything else, with Python's json messages", async () => {
    const res = await http(`${sim.url}/api/query/ArtifactIDs?branch=nope`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: '{"variables": {',
    });
    expect(res.status).toBe(422);
    expect(res.json).toEqual({
      detail: [
        {
          type: "json_invalid",
          loc: ["body", 15],
          msg: "JSON decode error",
          input: {},
          ctx: { error: "Expecting property name enclosed in double quotes" },
        },
      ],
    });
  });

  it("runs stored queries registered programmatically, by name or via GET with query-string variables", async () => {
    sim.registerStoredQuery(
      "ByName",
      "query ByName($name: String) { CoreArtifact(name__value: $name) { count } InfrahubInfo { version } }",
    );
    const post = await run("ByName", { name: "VM_Manifest" });
    expect(post.status).toBe(200);
    expect(page(post).count).toBe(1);
    const get = await http(
      `${sim.url}/api/query/ByName?name=${ARTIFACT_NAME}&branch=main&update_group=false`,
      { headers: KEY },
    );
    expect(get.status).toBe(200);
    expect(get.json).toEqual({
      data: { CoreArtifact: { count: 2 }, InfrahubInfo: { version: "1.11.9-sim" } },
    });
    expect(() => sim.registerStoredQuery("Broken", "{ CoreArtifact { nope } }")).toThrow(
      /stored query "Broken" is not valid: Cannot query field "nope"/,
    );
  });
});
