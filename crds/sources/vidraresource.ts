import { applyPolicyProperties, healthStatus } from "./apply-policy";
import { destinationSchema } from "./destination";
import {
  arr,
  conditionsField,
  dateTime,
  int,
  managedResourcesField,
  obj,
  str,
  vidraStates,
  operatorCrd,
} from "./schema-helpers";

export const vidraResourceCrd = operatorCrd({
  kind: "VidraResource",
  shortNames: ["vr", "vres"],
  columns: {
    lead: [{ name: "State", type: "string", jsonPath: ".status.DeployState" }],
    middle: [
      { name: "Objects", type: "integer", jsonPath: ".status.managedCount" },
      {
        name: "Sync",
        type: "string",
        jsonPath: ".metadata.labels.infrahub\\.operators\\.com/sync",
      },
      {
        name: "Target",
        type: "string",
        jsonPath: ".metadata.annotations.infrahub\\.operators\\.com/target",
      },
    ],
  },
  description:
    "VidraResource holds one rendered manifest and keeps its objects applied on the destination cluster.",
  spec: obj("The manifest and how to apply it.", {
    destination: destinationSchema,
    manifest: str("The manifest: multi-document YAML or JSON; List kinds are expanded."),
    reconciledAt: dateTime("Vidra's touch field; changing it triggers a reconcile."),
    checksum: str("md5 checksum of the artifact the manifest came from (set by InfrahubSync)."),
    ...applyPolicyProperties,
  }),
  status: obj("What was applied.", {
    managedResources: managedResourcesField,
    managedCount: int("How many objects are managed."),
    DeployState: str("Vidra's state of the last apply.", { enum: vidraStates }),
    lastError: str("The last error, empty after a successful apply."),
    lastSyncTime: dateTime("When the last apply finished."),
    conditions: conditionsField,
    observedGeneration: int("The .metadata.generation the status describes.", {
      format: "int64",
    }),
    appliedChecksum: str("md5 of the manifest last applied successfully."),
    lastHandledSyncRequest: str(
      "Value of the sync-now annotation last acted on (a full pass: apply, prune, health), whatever its outcome.",
    ),
    destinationServer: str(
      "The API server the managed objects live on (empty: the local cluster). While objects are managed there, a spec pointing at another server applies and prunes nothing.",
    ),
    nextReapplyTime: dateTime(
      "When the objects will be applied again: the next re-apply that repairs drift, or the next try while a kind the manifest uses is not served yet (UnknownKind).",
    ),
    conflicts: arr(
      "Objects that could not be applied because someone else owns them.",
      str("One conflict."),
    ),
    health: healthStatus,
  }),
});
