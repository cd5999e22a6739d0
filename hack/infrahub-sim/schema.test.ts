import { assertValidSchema, parse, validate } from "graphql";
import { VIDRA_ARTIFACT_IDS_QUERY } from "./stored-queries";
import {
  DEFAULT_TARGET_KINDS,
  assertTargetKind,
  buildInfrahubSchema,
  infrahubSchema,
  infrahubSchemaSdl,
} from "./schema";

describe("the simulator's Infrahub GraphQL schema", () => {
  it("is a valid schema, with the default kinds and with extra ones", () => {
    expect(() => assertValidSchema(infrahubSchema)).not.toThrow();
    expect(() =>
      assertValidSchema(buildInfrahubSchema([...DEFAULT_TARGET_KINDS, "InfraRouter"])),
    ).not.toThrow();
  });

  it("has Infrahub's generated filter arguments on CoreArtifact", () => {
    const args = infrahubSchema
      .getQueryType()!
      .getFields()
      .CoreArtifact.args.map(a => `${a.name}: ${String(a.type)}`);
    expect(args).toEqual(
      expect.arrayContaining([
        "offset: Int",
        "limit: Int",
        "ids: [ID]",
        "partial_match: Boolean",
        "any__value: String",
        "name__value: String",
        "name__values: [String]",
        "status__value: String",
        "status__values: [String]",
        "checksum__value: String",
        "storage_id__value: String",
        "content_type__value: String",
        "parameters__value: GenericScalar",
        "name__is_protected: Boolean",
        "name__owner__id: ID",
        "display_label__value: String",
        "object__isnull: Boolean",
        "object__ids: [ID]",
        "definition__ids: [ID]",
        "definition__name__value: String",
        "definition__name__values: [String]",
        "definition__artifact_name__value: String",
        "member_of_groups__ids: [ID]",
      ]),
    );
  });

  it("has no argument infrahub-server 1.11.9 lacks (is_visible filters were removed)", () => {
    const args = infrahubSchema
      .getQueryType()!
      .getFields()
      .CoreArtifact.args.map(a => a.name);
    expect(args.filter(a => a.includes("is_visible"))).toEqual([]);
  });

  // Field types as introspected on infrahub-server 1.11.9.
  it("types pages, attributes and relationships like Infrahub", () => {
    const sdl = infrahubSchemaSdl();
    expect(sdl).toMatch(
      /type PaginatedCoreArtifact \{\s+count: Int!\s+edges: \[EdgedCoreArtifact!\]!\s+\}/,
    );
    expect(sdl).toMatch(
      /type NestedEdgedCoreArtifactTarget \{\s+node: CoreArtifactTarget\s+properties: RelationshipProperty\s+\}/,
    );
    expect(sdl).toMatch(/CoreArtifact\([^)]*\): PaginatedCoreArtifact!/);
    expect(sdl).toMatch(/object: NestedEdgedCoreArtifactTarget!/);
    expect(sdl).not.toMatch(/_updated_at|is_visible|is_inherited/);
    expect(sdl).toMatch(
      /type CoreArtifact implements CoreNode & CoreTaskTarget \{\s+id: String!\s+hfid: \[String\]\s+display_label: String/,
    );
    expect(sdl).toMatch(
      /type JSONAttribute implements AttributeInterface \{\s+value: GenericScalar/,
    );
    expect(sdl).toMatch(/type KubernetesWebserver implements CoreNode & CoreArtifactTarget/);
  });

  it("accepts the documents clients send: the note's §2.7 query, Vidra's ArtifactIDs, an SDK-style inline query", () => {
    const documents = [
      VIDRA_ARTIFACT_IDS_QUERY,
      `query GetArtifacts($name: String, $target: ID, $offset: Int, $limit: Int) {
        CoreArtifact(name__value: $name, object__ids: [$target], offset: $offset, limit: $limit) {
          count edges { node { id display_label __typename name { value } status { value } content_type { value }
            checksum { value } storage_id { value } parameters { value }
            object { node { id display_label __typename } }
            definition { node { id display_label name { value } artifact_name { value } } } } }
        }
      }`,
      `query { CoreArtifact(name__value: "x", object__ids: ["id"], offset: 0, limit: 50) { count edges { node { id hfid display_label __typename
        name { value is_default is_from_profile is_protected source { id display_label __typename } owner { id display_label __typename } } } } } }`,
      "query { Branch { id name origin_branch branched_from created_at is_default status } }",
      'mutation { BranchCreate(data: { name: "b" }, wait_until_completion: true) { ok object { name } } }',
      "query { InfrahubInfo { version deployment_id } }",
    ];
    for (const doc of documents) expect(validate(infrahubSchema, parse(doc))).toEqual([]);
  });

  it.each(["lowercase", "Has-Dash", "CoreArtifact", "String", "TextAttribute", 42])(
    "refuses the target kind %p",
    kind => {
      expect(() => assertTargetKind(kind)).toThrow(/target kind/);
    },
  );
});
