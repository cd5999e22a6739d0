import { ArtifactStore } from "./artifact-store";
import { MicroClock } from "./clock";
import { GraphQLRunner, toGraphqlCoreWording } from "./graphql-runner";
import { createRootValue } from "./resolvers";

describe("toGraphqlCoreWording", () => {
  it.each([
    [
      'Cannot query field "foo" on type "CoreArtifact".',
      "Cannot query field 'foo' on type 'CoreArtifact'.",
    ],
    [
      'Unknown argument "bogus" on field "Query.CoreArtifact".',
      "Unknown argument 'bogus' on field 'Query.CoreArtifact'.",
    ],
    [
      'Cannot query field "nam" on type "CoreArtifact". Did you mean "name"?',
      "Cannot query field 'nam' on type 'CoreArtifact'. Did you mean 'name'?",
    ],
    [
      "Schema is not configured to execute mutation operation.",
      "Schema is not configured for mutations.",
    ],
    ["Syntax Error: Expected Name, found <EOF>.", "Syntax Error: Expected Name, found <EOF>."],
  ])("turns %p into graphql-core's %p", (js, python) => {
    expect(toGraphqlCoreWording(js)).toBe(python);
  });
});

describe("GraphQLRunner", () => {
  const setup = () => {
    const store = new ArtifactStore(new MicroClock());
    store.catalog.upsertDefinition({ name: "D", artifactName: "A" });
    return { store, runner: new GraphQLRunner(store) };
  };

  it("parses and validates a query text once", () => {
    const { runner } = setup();
    const first = runner.prepare("{ CoreArtifact { count } }");
    expect(first.document).toBeDefined();
    expect(runner.prepare("{ CoreArtifact { count } }")).toBe(first);
    expect(runner.prepare("{ CoreArtifact {").syntaxErrors).toHaveLength(1);
    expect(runner.prepare("{ CoreArtifact { nope } }").validationErrors).toHaveLength(1);
  });

  it("rebuilds the schema, and forgets cached documents, when a new target kind appears", () => {
    const { store, runner } = setup();
    const query =
      "{ CoreArtifact { edges { node { object { node { ... on InfraRouter { id } } } } } } }";
    expect(runner.prepare(query).validationErrors?.[0].message).toBe('Unknown type "InfraRouter".');
    store.upsertArtifact("main", {
      definition: "D",
      target: { label: "r1", kind: "InfraRouter" },
      content: "x",
    });
    const after = runner.prepare(query);
    expect(after.validationErrors).toBeUndefined();
    const root = createRootValue(store, { version: "v", deploymentId: "d" });
    const result = runner.run(after.document!, root, { branch: "main" }, undefined, undefined);
    expect(result.errors).toBeUndefined();
  });
});
