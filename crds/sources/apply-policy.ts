import { arr, bool, dateTime, durationField, int, obj, str, type Schema } from "./schema-helpers";

/**
 * How a VidraResource applies, prunes and cleans up. An InfrahubSync carries the same fields and
 * copies them to the VidraResources it creates.
 */
export const applyPolicyProperties: Record<string, Schema> = {
  suspend: bool(
    "Stop reconciling (no fetch, no apply, no prune) until set back to false. Objects stay as they are.",
    {
      default: false,
    },
  ),
  reapplyInterval: durationField(
    "How often applied objects are re-applied to repair drift",
    'the operator ConfigMap key requeueResourcesAfter applies, else "10m"',
    "every applied object would be re-applied",
  ),
  prune: bool("Delete objects that a new version of the manifest no longer contains.", {
    default: true,
  }),
  allowEmpty: bool(
    "Allow a result with no artifacts, or a manifest with no objects, to prune everything. Off by default, " +
      "so an empty answer from Infrahub never wipes a cluster.",
    { default: false },
  ),
  adoption: str(
    "What to do with an object that already exists and is not managed by this operator: Refuse (default; " +
      "reported in status) or Adopt (take it over with a forced server-side apply).",
    { enum: ["Refuse", "Adopt"], default: "Refuse" },
  ),
  wait: bool(
    "Wait for the applied objects to become healthy (Deployments, StatefulSets and DaemonSets rolled out, " +
      "Jobs complete, PVCs bound, LoadBalancers addressed, Ready conditions True) before reporting Ready. " +
      "While they roll out Reconciling is True; after spec.timeout Ready is False and Stalled True, naming " +
      "the objects that are not healthy and why.",
    { default: false },
  ),
  timeout: str(
    'With wait: how long objects may take to become healthy after a change, as a Go duration ("5m", "90s"). ' +
      'Default "5m".',
  ),
  deletionPolicy: str(
    "What happens to applied objects when this resource is deleted: Delete (default) or Orphan (leave them, " +
      "stripped of the operator's ownership marks). Objects another owner still lists are never deleted.",
    { enum: ["Delete", "Orphan"], default: "Delete" },
  ),
  serviceAccountName: str(
    "Apply as this ServiceAccount: every read, dry-run, write and prune of the applied objects impersonates " +
      "system:serviceaccount:<namespace>:<name>, so its RBAC decides what may be touched. When unset, the " +
      "operator's defaultServiceAccount applies on the local cluster, else the operator's own identity. On a " +
      "remote destination it is impersonated there, on top of the kubeconfig's identity.",
    { minLength: 1 },
  ),
  serviceAccountNamespace: str(
    'Namespace of the ServiceAccount (named or default). Default: destination.namespace, else "default". ' +
      "Also the namespace Secret references must stay in when the operator refuses cross-namespace references.",
    { minLength: 1 },
  ),
  fence: obj(
    "Narrows what may be applied, inside the operator's own fence (it can only narrow it): objects outside " +
      "are refused, at admission when the manifest is known and always before anything is applied.",
    {
      allowedNamespaces: arr(
        "Namespaced objects must be in one of these namespaces.",
        str("A namespace."),
      ),
      allowClusterScoped: bool(
        "Whether cluster-scoped objects (Namespaces, ClusterRoles, CRDs, …) may be applied. Default true.",
      ),
      deniedKinds: arr(
        'Kinds that may not be applied: "Kind" (in any API group) or "Kind.group", e.g. "ClusterRoleBinding", ' +
          '"Ingress.networking.k8s.io".',
        str("A kind."),
      ),
    },
  ),
};

/** What a VidraResource reports about the health of its objects when it waits for them. */
export const healthStatus: Schema = obj(
  "Health of the applied objects (only with spec.wait), assessed with kstatus rules.",
  {
    status: str("Healthy, Progressing (within the timeout) or Unhealthy.", {
      enum: ["Healthy", "Progressing", "Unhealthy"],
    }),
    since: dateTime(
      "When the current wait began (a change was applied, or a healthy object stopped being so); the " +
        "deadline is since + timeout.",
    ),
    unhealthyCount: int("How many objects are not healthy."),
    unhealthy: arr(
      "The objects that are not healthy (the first 20) and why.",
      obj("One object that is not healthy.", {
        apiVersion: str("API version of the object."),
        kind: str("Kind of the object."),
        namespace: str("Namespace of the object; empty for cluster-scoped objects."),
        name: str("Name of the object."),
        status: str("kstatus status: InProgress, Failed, Terminating, NotFound or Unknown."),
        message: str('Why, e.g. "0/2 available: ImagePullBackOff".'),
      }),
    ),
  },
);
