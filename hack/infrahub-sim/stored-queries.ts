import { randomUUID } from "node:crypto";
import type { GraphQLRunner } from "./graphql-runner";
import { SimError } from "./sim-error";

/**
 * Vidra's required stored query, verbatim from its demo repository (`GraphQL/ArtifactIDs.gql`).
 * Vidra sends `artifactname` as a plain string; GraphQL list coercion turns it into a list.
 */
export const VIDRA_ARTIFACT_IDS_QUERY = `query ArtifactIDs($artifactname: [String]) {
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
}`;

export interface StoredQuery {
  id: string;
  name: string;
  query: string;
}

/**
 * `CoreGraphQLQuery` nodes, found by id or name like `get_one_by_id_or_default_filter`. Documents
 * are checked when registered (Infrahub checks them when a repository imports them), so a typo in
 * a seed fails at start-up rather than on the first request.
 */
export class StoredQueries {
  private readonly byName = new Map<string, StoredQuery>();
  private readonly byId = new Map<string, StoredQuery>();

  constructor(private readonly runner: GraphQLRunner) {}

  register(name: string, query: string): StoredQuery {
    if (typeof name !== "string" || !name) throw new SimError("a stored query needs a name");
    if (typeof query !== "string" || !query.trim())
      throw new SimError(`stored query "${name}" needs a query document`);
    const prepared = this.runner.prepare(query);
    const problems = prepared.syntaxErrors ?? prepared.validationErrors;
    if (problems)
      throw new SimError(
        `stored query "${name}" is not valid: ${problems.map(e => e.message).join("; ")}`,
      );
    const previous = this.byName.get(name);
    const stored: StoredQuery = { id: previous?.id ?? randomUUID(), name, query };
    this.byName.set(name, stored);
    this.byId.set(stored.id, stored);
    return stored;
  }

  get(idOrName: string): StoredQuery | undefined {
    return this.byId.get(idOrName) ?? this.byName.get(idOrName);
  }

  getById(id: string): StoredQuery | undefined {
    return this.byId.get(id);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}
