import { bool, obj, secretKeyRef, str, type Schema } from "./schema-helpers";

/** Vidra's InfrahubSyncDestination, shared by both kinds, plus the explicit kubeconfig reference. */
export const destinationSchema: Schema = obj(
  "Where the artifacts' objects are applied. Empty means the cluster the operator runs in.",
  {
    server: str(
      'API server URL of a remote destination cluster. Empty or "https://kubernetes.default.svc" means the local cluster. ' +
        "Its kubeconfig comes from kubeconfigSecretRef or, as in Vidra, from a Secret labelled cluster-kubeconfig=<host>.",
    ),
    namespace: str('Namespace given to namespaced objects that have none. Default "default".'),
    reconcileOnEvents: bool(
      "Watch the applied objects and repair drift as soon as they are changed or deleted, besides the periodic re-apply.",
      { default: false },
    ),
    kubeconfigSecretRef: secretKeyRef(
      "Secret holding a kubeconfig for the remote destination server (takes precedence over Vidra's label lookup).",
      "kubeconfig",
    ),
  },
);
