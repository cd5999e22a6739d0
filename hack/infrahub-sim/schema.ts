import { buildSchema, type GraphQLSchema } from "graphql";
import { SimError } from "./sim-error";

/**
 * The slice of Infrahub's generated GraphQL schema that the operator touches, shaped like
 * `graphql/manager.py` generates it: attribute objects, `NestedEdged*` relationships, `Paginated*`
 * lists and the per-attribute / per-relationship filter arguments. Groups, permissions and
 * lineage are left out (nothing reads them); `source`/`owner` exist but are always null.
 * Operator tests validate their query documents against `infrahubSchema`.
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
  ["content_type", "String"],
  ["parameters", "GenericScalar"],
];
const GROUP_ATTRS: Array<[string, AttrKind]> = [
  ["name", "String"],
  ["label", "String"],
  ["description", "String"],
];

/** `X__value`, `X__values`, `X__isnull`, `X__is_visible`, ... as generated per attribute. */
function attrFilters(
  prefix: string,
  attrs: Array<[string, AttrKind]>,
  withIsNull: boolean,
): string[] {
  return attrs.flatMap(([name, scalar]) => [
    `${prefix}${name}__value: ${scalar}`,
    `${prefix}${name}__values: [${scalar}]`,
    ...(withIsNull ? [`${prefix}${name}__isnull: Boolean`] : []),
    `${prefix}${name}__is_visible: Boolean`,
    `${prefix}${name}__is_protected: Boolean`,
    `${prefix}${name}__source__id: ID`,
    `${prefix}${name}__owner__id: ID`,
  ]);
}

function relFilters(rel: string, peerAttrs: Array<[string, AttrKind]>): string[] {
  return [
    `${rel}__ids: [ID]`,
    `${rel}__isnull: Boolean`,
    ...attrFilters(`${rel}__`, peerAttrs, false),
  ];
}

const COMMON_ARGS = [
  "offset: Int",
  "limit: Int",
  "ids: [ID]",
  "partial_match: Boolean",
  "order: OrderInput",
  "any__value: String",
  "any__values: [String]",
  "any__is_visible: Boolean",
  "any__is_protected: Boolean",
  "any__source__id: ID",
  "any__owner__id: ID",
];
const GROUP_ARGS = [
  ...relFilters("member_of_groups", GROUP_ATTRS),
  ...relFilters("subscriber_of_groups", GROUP_ATTRS),
];

const ARTIFACT_ARGS = [
  ...COMMON_ARGS,
  ...attrFilters("", ARTIFACT_ATTRS, true),
  ...relFilters("object", []),
  ...relFilters("definition", DEFINITION_ATTRS),
  ...GROUP_ARGS,
];
const DEFINITION_ARGS = [...COMMON_ARGS, ...attrFilters("", DEFINITION_ATTRS, true), ...GROUP_ARGS];
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
  is_inherited: Boolean
  is_from_profile: Boolean
  is_protected: Boolean
  is_visible: Boolean
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
  is_default: Boolean
  is_inherited: Boolean
  is_protected: Boolean
  is_visible: Boolean
  updated_at: DateTime
  source: LineageSource
  owner: LineageOwner
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
  is_visible: Boolean
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
  ${NODE_FIELDS}
  artifacts${args(NESTED_ARTIFACT_ARGS)}: NestedPaginatedCoreArtifact
}

type CoreArtifact implements CoreNode & CoreTaskTarget {
  ${NODE_FIELDS}
  _updated_at: DateTime
  name: TextAttribute!
  status: TextAttribute!
  content_type: TextAttribute!
  checksum: TextAttribute
  "ID of the file in the object store"
  storage_id: TextAttribute
  parameters: JSONAttribute
  object: NestedEdgedCoreNode
  definition: NestedEdgedCoreArtifactDefinition
}

type CoreArtifactDefinition implements CoreNode & CoreTaskTarget {
  ${NODE_FIELDS}
  _updated_at: DateTime
  name: TextAttribute!
  artifact_name: TextAttribute!
  description: TextAttribute
  content_type: TextAttribute!
  parameters: JSONAttribute!
}

type EdgedCoreArtifact {
  node: CoreArtifact
}

type PaginatedCoreArtifact {
  count: Int
  edges: [EdgedCoreArtifact]
}

type NestedEdgedCoreArtifact {
  node: CoreArtifact
  properties: RelationshipProperty
}

type NestedPaginatedCoreArtifact {
  count: Int
  edges: [NestedEdgedCoreArtifact]
}

type EdgedCoreArtifactDefinition {
  node: CoreArtifactDefinition
}

type PaginatedCoreArtifactDefinition {
  count: Int
  edges: [EdgedCoreArtifactDefinition]
}

type NestedEdgedCoreArtifactDefinition {
  node: CoreArtifactDefinition
  properties: RelationshipProperty
}

type NestedEdgedCoreNode {
  node: CoreNode
  properties: RelationshipProperty
}

type Info {
  deployment_id: String!
  version: String!
}

type Query {
  CoreArtifact${args(ARTIFACT_ARGS)}: PaginatedCoreArtifact
  CoreArtifactDefinition${args(DEFINITION_ARGS)}: PaginatedCoreArtifactDefinition
  InfrahubInfo: Info!
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
  _updated_at: DateTime
  name: TextAttribute
  artifacts${args(NESTED_ARTIFACT_ARGS)}: NestedPaginatedCoreArtifact
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
