import { parse, validate } from "graphql";
import { infrahubSchema, VIDRA_ARTIFACT_IDS_QUERY } from "../../hack/infrahub-sim";
import { FIND_ARTIFACTS_DOCUMENT } from "../../capabilities/lib/infrahub";

describe("GraphQL documents against the simulator's Infrahub schema", () => {
  it("the client's CoreArtifact lookup is valid", () => {
    expect(validate(infrahubSchema, FIND_ARTIFACTS_DOCUMENT).map(e => e.message)).toEqual([]);
  });

  it("a document with a field Infrahub does not have is caught (the check can fail)", () => {
    const broken = parse(
      'query { CoreArtifact(name__values: ["x"]) { edges { node { id storage_id { nonsense } } } } }',
    );
    expect(validate(infrahubSchema, broken).map(e => e.message)).toEqual([
      expect.stringContaining("nonsense"),
    ]);
  });

  it("Vidra's ArtifactIDs stored query, whose answer the client parses, is valid too", () => {
    expect(validate(infrahubSchema, parse(VIDRA_ARTIFACT_IDS_QUERY)).map(e => e.message)).toEqual(
      [],
    );
  });
});
