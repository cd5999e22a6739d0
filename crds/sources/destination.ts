import { labelRules, LOCAL_SERVER, MAX_URL_LENGTH, serverRules, validated } from "./rules";
import { bool, obj, secretKeyRef, str, type Schema } from "./schema-helpers";

/** Vidra's InfrahubSyncDestination, shared by both kinds, plus the explicit kubeconfig reference. */
export const destinationSchema: Schema = validated(
  obj("Where the artifacts' objects are applied. Empty means the cluster the operator runs in.", {
    server: str(
      'API server URL of a remote destination cluster. Empty or "https://kubernetes.default.svc" means the local cluster. ' +
        "Its kubeconfig comes from kubeconfigSecretRef or, as in Vidra, from a Secret labelled cluster-kubeconfig=<host>.",
      { maxLength: MAX_URL_LENGTH },
    ),
    namespace: validated(
      str('Namespace given to namespaced objects that have none. Default "default".'),
      labelRules("self != ''"),
      { maxLength: 63 },
    ),
    reconcileOnEvents: bool(
      "Watch the applied objects and repair drift as soon as they are changed or deleted, besides the periodic re-apply.",
      { default: false },
    ),
    kubeconfigSecretRef: secretKeyRef(
      "Secret holding a kubeconfig for the remote destination server (takes precedence over Vidra's label lookup).",
      "kubeconfig",
    ),
  }),
  [
    ...serverRules(),
    {
      rule: `!has(self.kubeconfigSecretRef) || !${LOCAL_SERVER}`,
      fieldPath: ".kubeconfigSecretRef",
      message:
        "is set but server is empty, which means the local cluster (reached with the operator's own identity): " +
        "set server to the remote cluster's API URL, or remove kubeconfigSecretRef",
    },
  ],
);
