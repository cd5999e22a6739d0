/** Small builders for OpenAPI v3 schema fragments, so every field carries a description. */
import {
  intervalRules,
  labelRules,
  secretKeyRules,
  subdomainRules,
  validated,
  type ValidationRule,
} from "./rules";

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

/** `consequence` completes "…shorter than 1s: <consequence> more than once a second". */
export const durationField = (what: string, fallback: string, consequence: string): Schema =>
  validated(
    str(
      `${what}, as a Go duration ("30s", "5m", "1h30m"). "0" disables it. When unset, ${fallback}.`,
    ),
    intervalRules(consequence),
    { maxLength: 64 },
  );

/** The name of a referenced Secret. */
export const secretNameField: Schema = validated(
  str("Name of the Secret.", { minLength: 1 }),
  subdomainRules,
  { maxLength: 253 },
);

/** The namespace of a referenced Secret. */
export const secretNamespaceField = (description: string): Schema =>
  validated(str(description, { minLength: 1 }), labelRules(), { maxLength: 63 });

/** A data key of a referenced Secret. */
export const secretDataKeyField = (description: string): Schema =>
  validated(str(description), secretKeyRules, { maxLength: 253 });

export function secretKeyRef(description: string, defaultKey: string): Schema {
  return obj(
    description,
    {
      name: secretNameField,
      namespace: secretNamespaceField(
        "Namespace of the Secret (required: the referring object is cluster-scoped).",
      ),
      key: secretDataKeyField(`Data key that holds the value. Default "${defaultKey}".`),
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

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  priority?: number;
}

const readyColumn = (
  field: "status" | "message",
  extra: Partial<PrinterColumn> = {},
): PrinterColumn => ({
  name: field === "status" ? "Ready" : "Message",
  type: "string",
  ...extra,
  jsonPath: `.status.conditions[?(@.type=="Ready")].${field}`,
});

/**
 * One of the operator's kinds: cluster-scoped, v1alpha1 with a status subresource, and `kubectl
 * get` columns of the form <lead...> Ready <middle...> Last Sync, Message (wide), Age.
 */
export function operatorCrd(opts: {
  kind: string;
  shortNames: string[];
  columns: { lead: PrinterColumn[]; middle: PrinterColumn[] };
  description: string;
  spec: Schema;
  status: Schema;
  /**
   * CEL rules on the whole object, e.g. on metadata.name (the API server allows no rules inside
   * metadata, and a metadata schema would make the generated types import V1ObjectMeta).
   */
  rules?: ValidationRule[];
}) {
  const singular = opts.kind.toLowerCase();
  const plural = `${singular}s`;
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.infrahub.operators.com` },
    spec: {
      group: "infrahub.operators.com",
      scope: "Cluster",
      names: {
        kind: opts.kind,
        listKind: `${opts.kind}List`,
        plural,
        singular,
        shortNames: opts.shortNames,
        categories: ["vidra", "infrahub"],
      },
      versions: [
        {
          name: "v1alpha1",
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            ...opts.columns.lead,
            readyColumn("status"),
            ...opts.columns.middle,
            { name: "Last Sync", type: "date", jsonPath: ".status.lastSyncTime" },
            readyColumn("message", { priority: 1 }),
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
          schema: {
            openAPIV3Schema: obj(
              opts.description,
              {
                apiVersion: str("APIVersion of this object."),
                kind: str("Kind of this object."),
                metadata: { type: "object" },
                spec: opts.spec,
                status: opts.status,
              },
              opts.rules?.length ? { "x-kubernetes-validations": opts.rules } : {},
            ),
          },
        },
      ],
    },
  };
}
