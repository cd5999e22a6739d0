import yaml from "js-yaml";

/**
 * The YAML schema manifests are read with: js-yaml's CORE schema (strings, numbers, booleans, null,
 * sequences, mappings; no timestamps, binaries, sets or custom tags, so `2024-01-01` stays a string as
 * it does for kubectl) with two changes that make it read manifests the way Kubernetes' own YAML
 * library (YAML 1.1 flavoured) does, because a silently different value is worse than an error:
 * - `0644` is octal 420, not decimal 644 (`defaultMode: 0644` in a Secret volume is common);
 * - merge keys (`<<: *defaults`) merge, instead of becoming a literal `<<` key.
 * Everything else follows YAML 1.2: `yes`/`on` stay strings.
 */

/** js-yaml exports its built-in types at runtime; @types/js-yaml does not declare them. */
const builtin = (
  yaml as unknown as { types: Record<"null" | "bool" | "int" | "float" | "merge", yaml.Type> }
).types;

const LEGACY_OCTAL = /^[-+]?0[0-7]+$/;

const kubernetesInt = new yaml.Type("tag:yaml.org,2002:int", {
  kind: "scalar",
  resolve: (data: unknown) =>
    (typeof data === "string" && LEGACY_OCTAL.test(data)) || builtin.int.resolve(data),
  construct: (data: string) =>
    LEGACY_OCTAL.test(data) ? parseInt(data, 8) : builtin.int.construct(data),
  // Loading only: manifests are never dumped with this schema, so no represent/predicate.
});

/** The schema every manifest document is loaded with. */
export const MANIFEST_SCHEMA: yaml.Schema = yaml.FAILSAFE_SCHEMA.extend({
  implicit: [builtin.null, builtin.bool, kubernetesInt, builtin.float, builtin.merge],
});
