import {
  Kind,
  OperationTypeNode,
  parse,
  print,
  visit,
  type DocumentNode,
  type FieldNode,
  type OperationDefinitionNode,
  type VariableNode,
} from "graphql";

/**
 * The GraphQL documents the client sends, parsed once at module load (a syntax error fails the
 * import, not a reconcile) and printed canonically. Variables the caller leaves out are omitted
 * from the request, which GraphQL treats as "argument not given" (no filter), not as null.
 */

export const FIND_ARTIFACTS_DOCUMENT: DocumentNode = parse(/* GraphQL */ `
  query FindArtifacts(
    $names: [String]
    $definitionName: String
    $targetIds: [ID]
    $ids: [ID]
    $offset: Int
    $limit: Int
  ) {
    CoreArtifact(
      name__values: $names
      definition__name__value: $definitionName
      object__ids: $targetIds
      ids: $ids
      offset: $offset
      limit: $limit
    ) {
      count
      edges {
        node {
          id
          name {
            value
          }
          status {
            value
          }
          content_type {
            value
          }
          checksum {
            value
          }
          storage_id {
            value
          }
          object {
            node {
              id
              display_label
            }
          }
          definition {
            node {
              id
              name {
                value
              }
            }
          }
        }
      }
    }
  }
`);

export const FIND_ARTIFACTS_QUERY: string = print(FIND_ARTIFACTS_DOCUMENT);
export const FIND_ARTIFACTS_OPERATION = "FindArtifacts";

/** Variables of FIND_ARTIFACTS_DOCUMENT; absent keys are not sent. */
export interface FindArtifactsVariables {
  names?: string[];
  definitionName?: string;
  targetIds?: string[];
  ids?: string[];
  offset: number;
  limit: number;
}

/** The variables of one lookup in a batched document, suffixed with its index (`names_0`, …). */
const LOOKUP_VARIABLES = FIND_ARTIFACTS_DOCUMENT.definitions
  .filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
  .flatMap(d => d.variableDefinitions ?? []);
const ARTIFACT_FIELD = FIND_ARTIFACTS_DOCUMENT.definitions
  .filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
  .flatMap(d => d.selectionSet.selections)
  .find((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value === "CoreArtifact")!;

export const FIND_ARTIFACTS_BATCH_OPERATION = "FindArtifactsBatch";

/** The alias of lookup `i` in a batched document. */
export const batchAlias = (i: number): string => `a${i}`;

/** The name of FindArtifacts' variable `name` for lookup `i` of a batched document. */
export const batchVariable = (name: keyof FindArtifactsVariables, i: number): string =>
  `${name}_${i}`;

const batchDocuments = new Map<number, string>();

/**
 * FindArtifacts for `count` lookups in one request: the same CoreArtifact field, filters and
 * selection, once per lookup under the alias `a<i>` with its own variables (`names_<i>`, …,
 * `offset_<i>`, `limit_<i>`), so each lookup keeps its own filters and its own page. Built from
 * the parsed FIND_ARTIFACTS_DOCUMENT (graphql's AST, never string pasting) and printed once per size.
 */
export function findArtifactsBatchQuery(count: number): string {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`no batch of ${count} lookups`);
  const known = batchDocuments.get(count);
  if (known !== undefined) return known;
  const indexes = [...Array(count).keys()];
  const rename = (i: number) => ({
    [Kind.VARIABLE]: (v: VariableNode): VariableNode => ({
      ...v,
      name: { ...v.name, value: batchVariable(v.name.value as keyof FindArtifactsVariables, i) },
    }),
  });
  const document: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: OperationTypeNode.QUERY,
        name: { kind: Kind.NAME, value: FIND_ARTIFACTS_BATCH_OPERATION },
        variableDefinitions: indexes.flatMap(i => LOOKUP_VARIABLES.map(d => visit(d, rename(i)))),
        selectionSet: {
          kind: Kind.SELECTION_SET,
          selections: indexes.map(i => ({
            ...visit(ARTIFACT_FIELD, rename(i)),
            alias: { kind: Kind.NAME, value: batchAlias(i) },
          })),
        },
      },
    ],
  };
  const printed = print(document);
  batchDocuments.set(count, printed);
  return printed;
}
