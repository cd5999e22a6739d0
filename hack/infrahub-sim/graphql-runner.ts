import {
  Kind,
  execute,
  getVariableValues,
  parse,
  validate,
  type DocumentNode,
  type GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import type { ArtifactStore } from "./artifact-store";
import { catalogueExtensions } from "./http-io";
import { InfrahubGraphQLError } from "./resolvers";
import { buildInfrahubSchema } from "./schema";

/** A query text parsed and validated once, then reused for every request with the same text. */
export interface PreparedQuery {
  document?: DocumentNode;
  /** Syntax errors: the text could not be parsed at all. */
  syntaxErrors?: readonly GraphQLError[];
  /** Errors from validating the document against the schema. */
  validationErrors?: readonly GraphQLError[];
}

/** The body Infrahub returns for an executed query: `errors` only when there are some. */
export interface FormattedResult {
  data: unknown;
  errors?: GraphQLFormattedError[];
}

const CACHE_LIMIT = 1000;

/**
 * Executes GraphQL against the simulator schema. The schema is built once and rebuilt only when
 * a new target kind appears (each kind is an object type); parsed and validated documents are
 * cached by query text, so a benchmark's repeated query costs one Map lookup plus execution.
 */
export class GraphQLRunner {
  private schema: GraphQLSchema;
  private schemaVersion: number;
  private readonly cache = new Map<string, PreparedQuery>();

  constructor(private readonly store: ArtifactStore) {
    this.schema = buildInfrahubSchema(store.kinds);
    this.schemaVersion = store.kindsVersion;
  }

  prepare(query: string): PreparedQuery {
    this.refreshSchema();
    const cached = this.cache.get(query);
    if (cached) return cached;
    let prepared: PreparedQuery;
    try {
      const document = parse(query);
      const errors = validate(this.schema, document);
      prepared = errors.length > 0 ? { document, validationErrors: errors } : { document };
    } catch (err) {
      prepared = { syntaxErrors: [err as GraphQLError] };
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(query, prepared);
    return prepared;
  }

  /**
   * Whether the variables fit the operation that would run. Infrahub's query analyzer coerces
   * them before execution and fails with an unhandled exception (a bare 500) when they do not,
   * so this is checked apart from execution. Only for valid documents whose operation is known;
   * otherwise execution reports the problem as usual.
   */
  variablesFail(
    prepared: PreparedQuery,
    variables: Record<string, unknown> | undefined,
    operationName: string | undefined,
  ): boolean {
    if (!prepared.document || prepared.validationErrors) return false;
    const operations = prepared.document.definitions.filter(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    );
    const operation =
      operationName === undefined
        ? operations.length === 1
          ? operations[0]
          : undefined
        : operations.find(o => o.name?.value === operationName);
    if (!operation) return false;
    const coerced = getVariableValues(
      this.schema,
      operation.variableDefinitions ?? [],
      variables ?? {},
    );
    return coerced.errors !== undefined && coerced.errors.length > 0;
  }

  /** Runs a valid prepared document; every resolver is synchronous, so no promise is involved. */
  run(
    document: DocumentNode,
    rootValue: unknown,
    contextValue: unknown,
    variableValues: Record<string, unknown> | undefined,
    operationName: string | undefined,
  ): FormattedResult {
    const result = execute({
      schema: this.schema,
      document,
      rootValue,
      contextValue,
      variableValues,
      operationName,
    });
    if (result instanceof Promise)
      throw new Error("the simulator's resolvers must stay synchronous");
    const out: FormattedResult = { data: result.data ?? null };
    if (result.errors && result.errors.length > 0)
      out.errors = result.errors.map(formatGraphQLError);
    return out;
  }

  private refreshSchema(): void {
    if (this.schemaVersion === this.store.kindsVersion) return;
    this.schema = buildInfrahubSchema(this.store.kinds);
    this.schemaVersion = this.store.kindsVersion;
    this.cache.clear();
  }
}

/**
 * graphql-core's `format_error` plus Infrahub's `catalogue_error_formatter`: message, locations
 * and path when set, with graphql-core's wording, and catalogue extensions (`UNDEFINED_ERROR`,
 * `http_status` 500, or the status of the Infrahub exception a resolver raised). graphql-js 16
 * quotes names with double quotes (`Cannot query field "foo" on type "CoreArtifact".`),
 * graphql-core (Python, what Infrahub runs) with single quotes, so the quotes are converted.
 */
export function formatGraphQLError(error: GraphQLError): GraphQLFormattedError {
  const formatted = error.toJSON();
  const original = error.originalError;
  const status = original instanceof InfrahubGraphQLError ? original.httpStatus : 500;
  return {
    ...formatted,
    message: toGraphqlCoreWording(formatted.message),
    extensions: { ...formatted.extensions, ...catalogueExtensions("UNDEFINED_ERROR", status) },
  };
}

/**
 * `Unknown argument "bogus" on field "Query.CoreArtifact".` → `... 'bogus' ... 'Query.CoreArtifact'.`,
 * plus the one message whose words differ: graphql-core 3.2 says "Schema is not configured for
 * mutations." where graphql-js 16 says "... to execute mutation operation.".
 */
export function toGraphqlCoreWording(message: string): string {
  const root = /^Schema is not configured to execute (\w+) operation\.$/.exec(message);
  if (root) return `Schema is not configured for ${root[1]}s.`;
  return message.replace(/"([^"]*)"/g, "'$1'");
}
