import { createHash } from "node:crypto";
import { startInfrahubSimulator, type InfrahubSimulator } from "../../hack/infrahub-sim";
import {
  ARTIFACT_NAME,
  DEFINITION,
  KEY,
  baseSeed,
  gql,
  http,
  page,
  type GqlNode,
  type HttpResult,
} from "./helpers";

// Contract: infrahub-api.md §2 (GraphQL endpoint, generated schema, filters, pagination, errors).
describe("Infrahub simulator GraphQL", () => {
  let sim: InfrahubSimulator;
  const nodes = (res: HttpResult, field = "CoreArtifact"): GqlNode[] =>
    page(res, field).edges.map(e => e.node);
  /** Target labels of the artifacts `CoreArtifact<args>` returns; `decl` declares the variables. */
  const names = async (args: string, variables?: Record<string, unknown>, decl = "") =>
    nodes(
      await gql(
        sim,
        `query Q${decl} { CoreArtifact${args} { edges { node { id object { node { display_label } } } } } }`,
        { variables },
      ),
    )
      .map(n => n.object.node.display_label)
      .sort();

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

  it("answers the note's §2.7 query with the documented shape", async () => {
    const query = `query GetArtifacts($name: String, $target: ID, $offset: Int, $limit: Int) {
      CoreArtifact(name__value: $name, object__ids: [$target], offset: $offset, limit: $limit) {
        count
        edges { node {
          id display_label __typename hfid
          name { value } status { value } content_type { value } checksum { value } storage_id { value id }
          parameters { value }
          object { node { id display_label __typename } }
          definition { node { id display_label name { value } artifact_name { value } } }
        } }
      }
    }`;
    const res = await gql(sim, query, {
      variables: { name: ARTIFACT_NAME, target: "t-web-01", offset: 0, limit: 50 },
    });
    expect(res.status).toBe(200);
    const web01 = sim.listArtifacts("main").find(a => a.id === "a-web-01")!;
    const def = page(res).edges[0].node.definition.node;
    expect(res.json).toEqual({
      data: {
        CoreArtifact: {
          count: 1,
          edges: [
            {
              node: {
                id: "a-web-01",
                display_label: ARTIFACT_NAME,
                __typename: "CoreArtifact",
                hfid: null,
                name: { value: ARTIFACT_NAME },
                status: { value: "Ready" },
                content_type: { value: "application/yaml" },
                checksum: { value: createHash("md5").update(web01.content!, "utf8").digest("hex") },
                storage_id: {
                  value: web01.storageId,
                  id: expect.stringMatching(/^[0-9a-f-]{36}$/),
                },
                parameters: { value: null },
                object: {
                  node: {
                    id: "t-web-01",
                    display_label: "web-01",
                    __typename: "KubernetesWebserver",
                  },
                },
                definition: {
                  node: {
                    id: def.id,
                    display_label: DEFINITION,
                    name: { value: DEFINITION },
                    artifact_name: { value: ARTIFACT_NAME },
                  },
                },
              },
            },
          ],
        },
      },
    });
    // Every attribute object has its own id: storage_id.id is not the storage id.
    expect(page(res).edges[0].node.storage_id.id).not.toBe(web01.storageId);
  });

  // Shapes as on infrahub-server 1.11.9: no is_visible / is_inherited / _updated_at any more,
  // updated_at written with +00:00, relationship properties' is_protected null.
  it("returns attribute objects with their properties and NestedEdged relationship properties", async () => {
    const res = await gql(
      sim,
      `{ CoreArtifact(ids: ["a-web-02"]) { edges { node {
      checksum { value id is_default is_from_profile is_protected updated_at source { id } owner { id } }
      object { properties { is_protected updated_at } node { ... on KubernetesWebserver { name { value } } } }
    } } } }`,
    );
    const node = nodes(res)[0];
    expect(node.checksum).toMatchObject({
      is_default: false,
      is_from_profile: false,
      is_protected: false,
      source: null,
      owner: null,
    });
    const web02 = sim.listArtifacts("main").find(a => a.id === "a-web-02")!;
    expect(node.checksum.updated_at).toBe(web02.updatedAt.replace(/Z$/, "+00:00"));
    expect(node.object.properties).toMatchObject({ is_protected: null });
    expect(node.object.properties.updated_at).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/,
    );
    expect(node.object.node.name).toEqual({ value: "web-02" });
  });

  it("counts all matches, pages with offset/limit, and sorts by name then id so pages never overlap", async () => {
    const all = nodes(
      await gql(sim, "{ CoreArtifact { count edges { node { id name { value } } } } }"),
    );
    expect(all).toHaveLength(14);
    const sorted = [...all].sort((a, b) =>
      String(a.name.value) < String(b.name.value)
        ? -1
        : String(a.name.value) > String(b.name.value)
          ? 1
          : a.id < b.id
            ? -1
            : 1,
    );
    expect(all.map(n => n.id)).toEqual(sorted.map(n => n.id));
    const seen: string[] = [];
    for (let offset = 0; offset < 14; offset += 5) {
      const res = await gql(
        sim,
        "query P($o: Int, $l: Int) { CoreArtifact(offset: $o, limit: $l) { count edges { node { id } } } }",
        {
          variables: { o: offset, l: 5 },
        },
      );
      expect(page(res).count).toBe(14);
      seen.push(...nodes(res).map(n => n.id));
    }
    expect(seen).toEqual(all.map(n => n.id));
    const empty = await gql(
      sim,
      '{ CoreArtifact(name__value: "nothing") { count edges { node { id } } } }',
    );
    expect(page(empty)).toEqual({ count: 0, edges: [] });
  });

  it("filters on attributes, ids and relationships", async () => {
    expect(await names('(name__value: "VM_Manifest")')).toEqual(["vm-01"]);
    expect(await names("(name__values: $v)", { v: ["VM_Manifest"] }, "($v: [String])")).toEqual([
      "vm-01",
    ]);
    expect(await names("(name__values: $v)", { v: "VM_Manifest" }, "($v: [String])")).toEqual([
      "vm-01",
    ]); // list coercion
    expect(await names('(ids: ["a-web-02", "a-vm-01"])')).toEqual(["vm-01", "web-02"]);
    expect(await names('(object__ids: ["t-vm-01"])')).toEqual(["vm-01"]);
    expect(await names('(status__value: "Pending")')).toEqual(["web-pending"]);
    expect(await names('(status__values: ["Pending", "Error"])')).toEqual(["web-pending"]);
    expect(await names('(content_type__value: "text/plain")')).toEqual(["vm-01"]);
    expect(await names("(checksum__isnull: true)")).toEqual(["web-pending"]);
    const web01 = sim.listArtifacts("main").find(a => a.id === "a-web-01")!;
    expect(await names(`(checksum__value: "${web01.checksum}")`)).toEqual(["web-01"]);
    expect(await names(`(storage_id__value: "${web01.storageId}")`)).toEqual(["web-01"]);
    expect(await names('(definition__name__value: "VM_Artifact_Definition")')).toEqual(["vm-01"]);
    expect(await names('(definition__name__values: ["VM_Artifact_Definition"])')).toEqual([
      "vm-01",
    ]);
    expect(await names('(definition__artifact_name__value: "VM_Manifest")')).toEqual(["vm-01"]);
    const defId = sim.listArtifacts("main").find(a => a.id === "a-vm-01")!;
    const defs = nodes(
      await gql(
        sim,
        '{ CoreArtifactDefinition(name__value: "VM_Artifact_Definition") { edges { node { id } } } }',
      ),
      "CoreArtifactDefinition",
    );
    expect(defId.definitionName).toBe("VM_Artifact_Definition");
    expect(await names(`(definition__ids: ["${defs[0].id}"])`)).toEqual(["vm-01"]);
    expect(await names('(any__value: "VM_Manifest")')).toEqual(["vm-01"]);
    expect(await names('(name__value: "VM_", partial_match: true)')).toEqual(["vm-01"]);
    expect(await names('(name__value: "VM_")')).toEqual([]);
    expect(await names('(name__value: "VM_Manifest", object__ids: ["t-web-01"])')).toEqual([]);
    expect(await names("(name__value: $s)", { s: null }, "($s: String)")).toHaveLength(14); // null means no filter
    expect(await names('(member_of_groups__ids: ["g1"])')).toEqual([]);
  });

  it("serves CoreArtifactDefinition with its attributes and JSON parameters", async () => {
    const res = await gql(
      sim,
      `{ CoreArtifactDefinition(name__value: "${DEFINITION}") { count edges { node {
      id display_label __typename name { value } artifact_name { value } content_type { value } parameters { value }
    } } } }`,
    );
    const [def] = nodes(res, "CoreArtifactDefinition");
    expect(page(res, "CoreArtifactDefinition").count).toBe(1);
    expect(def).toMatchObject({
      display_label: DEFINITION,
      __typename: "CoreArtifactDefinition",
      name: { value: DEFINITION },
      artifact_name: { value: ARTIFACT_NAME },
      content_type: { value: "application/yaml" },
      parameters: { value: { webserver: "name__value" } },
    });
    const all = nodes(
      await gql(sim, "{ CoreArtifactDefinition { edges { node { name { value } } } } }"),
      "CoreArtifactDefinition",
    );
    expect(all.map(d => d.name.value)).toEqual(["VM_Artifact_Definition", DEFINITION]);
  });

  it("answers InfrahubInfo like /api/info", async () => {
    const res = await gql(sim, "{ InfrahubInfo { version deployment_id } }");
    const info = (await http(`${sim.url}/api/info`, { headers: KEY })).json as Record<
      string,
      string
    >;
    expect(res.json).toEqual({
      data: { InfrahubInfo: { version: info.version, deployment_id: info.deployment_id } },
    });
  });

  it("lists a target's artifacts through its CoreArtifactTarget relationship", async () => {
    const res = await gql(
      sim,
      '{ CoreArtifact(ids: ["a-vm-01"]) { edges { node { object { node { ... on CoreArtifactTarget { artifacts { count edges { node { id } } } } } } } } } }',
    );
    expect(nodes(res)[0].object.node.artifacts).toEqual({
      count: 1,
      edges: [{ node: { id: "a-vm-01" } }],
    });
  });
});
