/**
 * The chart values post-build gives the watcher beyond Pepr's: `watcher.replicas` (Pepr writes a
 * literal `replicas: 1`, so a second, standby watcher needed a `kubectl scale` after every install)
 * and the schema of the watcher's values.
 *
 * Why a schema of its own: Pepr's values.schema.json describes `watcher` with the admission
 * definition, which has `additionalProperties: false`, so Helm refused any value post-build adds
 * (`helm lint` and `helm install` fail with "additional properties 'nodeFlags' not allowed").
 */
import { withWatcherValue } from "./chart-values";
import { CHART_VALUE as NODE_FLAGS_VALUE } from "./node-flags";

/** The chart value holding the watcher's replica count. */
export const REPLICAS_VALUE = "replicas";

/** The chart's watcher Deployment template with `replicas` from `.Values.watcher.replicas`. */
export function withChartReplicas(template: string): string {
  const value = `replicas: {{ .Values.watcher.${REPLICAS_VALUE} }}`;
  if (template.includes(value)) return template;
  const out = template.replace(/^( {2})replicas: \d+$/m, `$1${value}`);
  if (out === template)
    throw new Error("the chart's watcher Deployment has no `replicas: <number>` line under spec");
  return out;
}

/** The chart's values.yaml with `watcher.replicas` (replacing an earlier value). */
export function withChartReplicaValue(values: string, replicas = 1): string {
  return withWatcherValue(values, REPLICAS_VALUE, [`  ${REPLICAS_VALUE}: ${replicas}`]);
}

type Schema = {
  properties?: Record<string, { $ref?: string }>;
  definitions?: Record<string, unknown>;
  [k: string]: unknown;
};

/** The name of the watcher's own definition in values.schema.json. */
export const WATCHER_DEFINITION = "Watcher";

/**
 * values.schema.json with `watcher` described by a definition of its own: the one Pepr gave it
 * (the admission one) plus `replicas` (an integer >= 1) and `nodeFlags` (strings). The admission
 * definition is left as it was.
 */
export function withWatcherSchema(schemaJson: string): string {
  const schema = JSON.parse(schemaJson) as Schema;
  const root = (schema.$ref as string | undefined)?.replace(/^#\/definitions\//, "");
  const values = (root ? schema.definitions?.[root] : schema) as Schema | undefined;
  const watcher = values?.properties?.watcher;
  if (!watcher) throw new Error("the chart's values.schema.json has no watcher property");
  const ref = watcher.$ref?.replace(/^#\/definitions\//, "");
  const base = ref ? schema.definitions?.[ref] : watcher;
  if (!base || typeof base !== "object")
    throw new Error(`the chart's values.schema.json has no definition ${ref} for watcher`);
  const def = structuredClone(base) as { properties?: Record<string, unknown>; title?: string };
  def.properties = {
    ...def.properties,
    [REPLICAS_VALUE]: { type: "integer", minimum: 1 },
    [NODE_FLAGS_VALUE]: { type: "array", items: { type: "string" } },
  };
  def.title = WATCHER_DEFINITION;
  schema.definitions = { ...schema.definitions, [WATCHER_DEFINITION]: def };
  values.properties = {
    ...values.properties,
    watcher: { $ref: `#/definitions/${WATCHER_DEFINITION}` },
  };
  return JSON.stringify(schema, null, 2) + "\n";
}
