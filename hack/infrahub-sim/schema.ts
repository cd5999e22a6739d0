import { buildSchema, type GraphQLSchema } from "graphql";
import { SimError } from "./sim-error";

/**
 * The slice of infrahub-server 1.11.9's generated GraphQL schema that the operator touches, with
 * the same field names, nullability and filter arguments (checked by introspection against a
 * real server): attribute objects, `NestedEdged*` relationships, `Paginated*` lists, `Branch`
 * and the `BranchCreate` mutation. Left out: permissions, node metadata and its filters, lineage
 * details, groups (their filters exist and match nothing), every other kind and mutation.
 * `source`/`owner` exist but are always null. Operator tests validate their query documents
 * against `infrahubSchema`.
 */

/** Kind used when an artifact's target has none. */
export const DEFAULT_TARGET_KIND = "KubernetesWebserver";
/** Target kinds every schema knows: Vidra's demo kinds and the SDK docs' `InfraDevice`. */
export const DEFAULT_TARGET_KINDS: readonly string[] = [
  "KubernetesWebserver",
  "KubernetesVirtuellMaschine",
  "InfraDevice",
];

type AttrKind = "String" | "GenericScalar";
const ARTIFACT_ATTRS: Array<[string, AttrKind]> = [
  ["name", "String"],
  ["status", "String"],
  ["content_type", "String"],
  ["checksum", "String"],
  ["storage_id", "String"],
  ["parameters", "GenericScalar"],
];
const DEFINITION_ATTRS: Array<[string, AttrKind]> = [
  ["name", "String"],
  ["artifact_name", "String"],
  ["description", "String"],
  ["parameters", "GenericScalar"],
  ["content_type", "String"],
  ["fingerprint", "String"],
];
/** Attributes of the groups' generic, as peer filters (values only, like Infrahub generates them). */
const GROUP_PEER_FILTERS = ["name", "label", "description", "group_type"].flatMap(a => [
  `__${a}__value: String`,
  `__${a}__values: [String]`,
]);

/** `X__value`, `X__values`, `X__isnull`, `X__source__id`, ... as generated per attribute. */
function attrFilters(
  prefix: string,
  attrs: Array<[string, AttrKind]>,
  withIsNull: boolean,
): string[] {
  return attrs.flatMap(([name, scalar]) => [
    `${prefix}${name}__value: ${scalar}`,
    `${prefix}${name}__values: [${scalar}]`,
    ...(withIsNull ? [`${prefix}${name}__isnull: Boolean`] : []),
    `${prefix}${name}__source__id: ID`,
    `${prefix}${name}__owner__id: ID`,
    `${prefix}${name}__is_protected: Boolean`,
  ]);
}

const displayLabelFilters = (prefix: string) => [
  `${prefix}display_label__value: String`,
  `${prefix}display_label__values: [String]`,
  `${prefix}display_label__isnull: Boolean`,
];

/** `<rel>__ids`, `<rel>__isnull`, `<rel>__display_label__*` and the peer's attribute filters. */
function relFilters(rel: string, peerAttrs: Array<[string, AttrKind]>): string[] {
  return [
    `${rel}__ids: [ID]`,
    `${rel}__isnull: Boolean`,
    ...displayLabelFilters(`${rel}__`),
    ...attrFilters(`${rel}__`, peerAttrs, false),
  ];
}

const groupFilters = (rel: string) => [
  `${rel}__ids: [ID]`,
  `${rel}__isnull: Boolean`,
  ...displayLabelFilters(`${rel}__`),
  ...GROUP_PEER_FILTERS.map(f => `${rel}${f}`),
];

const ANY_FILTERS = [
  "any__value: String",
  "any__values: [String]",
  "any__source__id: ID",
  "any__owner__id: ID",
  "any__is_protected: Boolean",
  "partial_match: Boolean",
];
const GROUP_ARGS = [...groupFilters("member_of_groups"), ...groupFilters("subscriber_of_groups")];

const ARTIFACT_ARGS = [
  "offset: Int",
  "limit: Int",
  "order: OrderInput",
  "ids: [ID]",
  ...displayLabelFilters(""),
  ...attrFilters("", ARTIFACT_ATTRS, true),
  ...ANY_FILTERS,
  "object__ids: [ID]",
  "object__isnull: Boolean",
  ...relFilters("definition", DEFINITION_ATTRS),
  ...GROUP_ARGS,
];
const DEFINITION_ARGS = [
  "offset: Int",
  "limit: Int",
  "order: OrderInput",
  "ids: [ID]",
  ...displayLabelFilters(""),
  ...attrFilters("", DEFINITION_ATTRS, true),
  ...ANY_FILTERS,
  ...GROUP_ARGS,
];
/** Arguments of a target's `artifacts` relationship (a nested list filters on the peer's attributes). */
const NESTED_ARTIFACT_ARGS = [
  "offset: Int",
  "limit: Int",
  "ids: [ID]",
  ...attrFilters("", ARTIFACT_ATTRS, false),
];

const args = (list: string[]): string => `(\n    ${list.join("\n    ")}\n  )`;

const NODE_FIELDS = `id: String!
  hfid: [String]
  display_label: String`;

const ATTRIBUTE_FIELDS = `id: String
  is_default: Boolean
  is_from_profile: Boolean
  is_protected: Boolean
  updated_at: DateTime
  source: LineageSource
  owner: LineageOwner`;

const BASE_SDL = `
scalar GenericScalar
scalar DateTime

input OrderInput {
  disable: Boolean
}

interface AttributeInterface {
  ${ATTRIBUTE_FIELDS}
}

"Attribute of type Text"
type TextAttribute implements AttributeInterface {
  value: String
  ${ATTRIBUTE_FIELDS}
}

"Attribute of type JSON"
type JSONAttribute implements AttributeInterface {
  value: GenericScalar
  ${ATTRIBUTE_FIELDS}
}

"Any Entities that stores or produces data."
interface LineageSource {
  ${NODE_FIELDS}
}

"Any Entities that is responsible for some data."
interface LineageOwner {
  ${NODE_FIELDS}
}

type RelationshipProperty {
  is_protected: Boolean
  updated_at: DateTime
  source: LineageSource
  owner: LineageOwner
}

"Base Node in Infrahub."
interface CoreNode {
  ${NODE_FIELDS}
}

"Extend a node to be associated with tasks"
interface CoreTaskTarget {
  ${NODE_FIELDS}
}

"Extend a node to be associated with artifacts"
interface CoreArtifactTarget {
  id: String
  hfid: [String]
  display_label: String
  artifacts${args(NESTED_ARTIFACT_ARGS)}: NestedPaginatedCoreArtifact!
}

type CoreArtifact implements CoreNode & CoreTaskTarget {
  ${NODE_FIELDS}
  name: TextAttribute
  status: TextAttribute
  content_type: TextAttribute
  checksum: TextAttribute
  "ID of the file in the object store"
  storage_id: TextAttribute
  parameters: JSONAttribute
  object: NestedEdgedCoreArtifactTarget!
  definition: NestedEdgedCoreArtifactDefinition!
}

type CoreArtifactDefinition implements CoreNode & CoreTaskTarget {
  ${NODE_FIELDS}
  name: TextAttribute
  artifact_name: TextAttribute
  description: TextAttribute
  parameters: JSONAttribute
  content_type: TextAttribute
  fingerprint: TextAttribute
}

type EdgedCoreArtifact {
  node: CoreArtifact
}

type PaginatedCoreArtifact {
  count: Int!
  edges: [EdgedCoreArtifact!]!
}

type NestedEdgedCoreArtifact {
  node: CoreArtifact
  properties: RelationshipProperty
}

type NestedPaginatedCoreArtifact {
  count: Int!
  edges: [NestedEdgedCoreArtifact!]!
}

type EdgedCoreArtifactDefinition {
  node: CoreArtifactDefinition
}

type PaginatedCoreArtifactDefinition {
  count: Int!
  edges: [EdgedCoreArtifactDefinition!]!
}

type NestedEdgedCoreArtifactDefinition {
  node: CoreArtifactDefinition
  properties: RelationshipProperty
}

type NestedEdgedCoreArtifactTarget {
  node: CoreArtifactTarget
  properties: RelationshipProperty
}

type Info {
  deployment_id: String!
  version: String!
}

enum BranchStatus {
  OPEN
  NEED_REBASE
  NEED_UPGRADE_REBASE
  DELETING
  MERGING
  MERGE_FAILED
  MERGED
}

type Branch {
  id: String!
  name: String!
  description: String
  origin_branch: String
  branched_from: String
  status: BranchStatus!
  graph_version: Int
  created_at: String
  sync_with_git: Boolean
  is_default: Boolean
  schema_differs_from_default_branch: Boolean
}

input BranchCreateInput {
  id: String
  name: String!
  description: String
  sync_with_git: Boolean
}

type BranchCreate {
  ok: Boolean
  object: Branch
}

type Query {
  CoreArtifact${args(ARTIFACT_ARGS)}: PaginatedCoreArtifact!
  CoreArtifactDefinition${args(DEFINITION_ARGS)}: PaginatedCoreArtifactDefinition!
  InfrahubInfo: Info!
  Branch(ids: [ID], name: String): [Branch!]!
}

type Mutation {
  BranchCreate(data: BranchCreateInput!, wait_until_completion: Boolean): BranchCreate
}
`;

const RESERVED_NAMES = new Set(
  [...BASE_SDL.matchAll(/^(?:type|interface|input|scalar|enum|union)\s+(\w+)/gm)]
    .map(m => m[1])
    .concat(["String", "Int", "Float", "Boolean", "ID"]),
);

/** Throws unless `kind` can be a GraphQL object type next to the built-in ones (PascalCase name). */
export function assertTargetKind(kind: unknown): asserts kind is string {
  if (typeof kind !== "string" || !/^[A-Z][A-Za-z0-9_]*$/.test(kind) || kind.startsWith("__")) {
    throw new SimError(
      `target kind must be a PascalCase GraphQL type name such as "KubernetesWebserver", got ${JSON.stringify(kind)}`,
    );
  }
  if (RESERVED_NAMES.has(kind))
    throw new SimError(`target kind "${kind}" clashes with a built-in schema type`);
}

/** The schema SDL for the given target kinds (each becomes a CoreNode & CoreArtifactTarget type). */
export function infrahubSchemaSdl(targetKinds: Iterable<string> = DEFAULT_TARGET_KINDS): string {
  const kinds = [...new Set(targetKinds)].sort();
  const targetTypes = kinds.map(kind => {
    assertTargetKind(kind);
    return `type ${kind} implements CoreNode & CoreArtifactTarget {
  ${NODE_FIELDS}
  name: TextAttribute
  artifacts${args(NESTED_ARTIFACT_ARGS)}: NestedPaginatedCoreArtifact!
}`;
  });
  return `${BASE_SDL}\n${targetTypes.join("\n\n")}\n`;
}

/** Builds a fresh schema. Resolution is done by the simulator's root value, not by the schema. */
export function buildInfrahubSchema(
  targetKinds: Iterable<string> = DEFAULT_TARGET_KINDS,
): GraphQLSchema {
  return buildSchema(infrahubSchemaSdl(targetKinds));
}

/** The schema with the default target kinds, for validating client query documents. */
export const infrahubSchema: GraphQLSchema = buildInfrahubSchema();
