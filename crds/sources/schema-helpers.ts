/** Small builders for OpenAPI v3 schema fragments, so every field carries a description. */
export type Schema = Record<string, unknown>;

export const str = (description: string, extra: Schema = {}): Schema => ({
  type: "string",
  description,
  ...extra,
});
export const bool = (description: string, extra: Schema = {}): Schema => ({
  type: "boolean",
  description,
  ...extra,
});
export const int = (description: string, extra: Schema = {}): Schema => ({
  type: "integer",
  description,
  ...extra,
});
export const obj = (
  description: string,
  properties: Record<string, Schema>,
  extra: Schema = {},
): Schema => ({
  type: "object",
  description,
  properties,
  ...extra,
});
export const arr = (description: string, items: Schema, extra: Schema = {}): Schema => ({
  type: "array",
  description,
  items,
  ...extra,
});
export const dateTime = (description: string): Schema => ({
  type: "string",
  format: "date-time",
  description,
});

/** The five states Vidra reports in syncState / DeployState. */
export const vidraStates = ["Pending", "Running", "Succeeded", "Failed", "Stale"];

export const durationField = (what: string, fallback: string): Schema =>
  str(
    `${what}, as a Go duration ("30s", "5m", "1h30m"). "0" disables it. When unset, ${fallback}.`,
  );

export function secretKeyRef(description: string, defaultKey: string): Schema {
  return obj(
    description,
    {
      name: str("Name of the Secret.", { minLength: 1 }),
      namespace: str(
        "Namespace of the Secret (required: the referring object is cluster-scoped).",
        { minLength: 1 },
      ),
      key: str(`Data key that holds the value. Default "${defaultKey}".`),
    },
    { required: ["name", "namespace"] },
  );
}

export const conditionsField: Schema = arr(
  "Kubernetes-style conditions: Ready, Reconciling and Stalled, each with a reason and a message.",
  obj(
    "One condition.",
    {
      type: str("Condition type: Ready, Reconciling or Stalled."),
      status: str("True, False or Unknown.", { enum: ["True", "False", "Unknown"] }),
      observedGeneration: int("The .metadata.generation the condition was computed for.", {
        format: "int64",
      }),
      lastTransitionTime: dateTime("When the status last changed."),
      reason: str("A CamelCase reason, for machines."),
      message: str("A sentence for people."),
    },
    { required: ["type", "status", "lastTransitionTime", "reason", "message"] },
  ),
  { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] },
);

export const managedResourcesField: Schema = arr(
  "The objects this resource applied and still manages (its inventory, used for pruning and cleanup).",
  obj(
    "One managed object.",
    {
      apiVersion: str("API version of the object."),
      kind: str("Kind of the object."),
      name: str("Name of the object."),
      namespace: str("Namespace of the object; empty for cluster-scoped objects."),
    },
    { required: ["name"] },
  ),
);
