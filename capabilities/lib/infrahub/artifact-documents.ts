import { parse, print, type DocumentNode } from "graphql";

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
