import { dns1123LabelProblem } from "./names";
import { asRecord, asString, type Problems } from "./problems";
import { checkSecretRef } from "./secret-ref";
import { displayUrl, httpUrlProblem, inClusterAliasProblem, isLocalServer } from "./url";

const SERVER_RULES = {
  example: "https://api.cluster.example.com:6443",
  credentialsGoTo: "the kubeconfig Secret referenced by kubeconfigSecretRef",
};

/** Vidra's destination (server URL, default namespace) plus the explicit kubeconfig reference. */
export function checkDestination(p: Problems, field: string, destination: unknown): void {
  if (destination === undefined || destination === null) return;
  const d = asRecord(destination);
  if (!d)
    return p.add(
      field,
      "must be an object (server, namespace, reconcileOnEvents, kubeconfigSecretRef)",
    );
  const server = asString(d.server);
  if (server !== undefined && server !== "") {
    if (server.trim() === "") {
      p.add(
        `${field}.server`,
        "is blank: leave it empty for the local cluster, or give the remote API server's URL",
      );
    } else {
      p.add(
        `${field}.server`,
        httpUrlProblem(server, SERVER_RULES) ?? inClusterAliasProblem(server),
      );
    }
  }
  const ns = asString(d.namespace);
  if (ns) p.add(`${field}.namespace`, dns1123LabelProblem(ns));
  checkSecretRef(p, `${field}.kubeconfigSecretRef`, d.kubeconfigSecretRef, ["key"]);
  if (d.kubeconfigSecretRef && isLocalServer(server)) {
    p.add(
      `${field}.kubeconfigSecretRef`,
      "is set but server is empty, which means the local cluster (reached with the operator's own identity): " +
        "set server to the remote cluster's API URL, or remove kubeconfigSecretRef",
    );
  }
}

/** One spelling per cluster: "" for the local one, else scheme, host, port and path as the URL parser writes them. */
function clusterKey(server: unknown): string {
  const s = asString(server);
  if (isLocalServer(s)) return "";
  try {
    const url = new URL(s!);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
  } catch {
    return s!;
  }
}

function describeServer(server: unknown): string {
  const s = asString(server);
  return isLocalServer(s) ? "the local cluster" : displayUrl(s!);
}

/**
 * Changes an update cannot honour: the destination cluster is fixed for the life of the object, as
 * moving it would leave every applied object stranded on the old cluster, unmanaged. Spelling changes
 * that name the same cluster ("", "https://kubernetes.default.svc"; a trailing "/") are allowed.
 */
export function checkDestinationUnchanged(
  p: Problems,
  field: string,
  oldDest: unknown,
  newDest: unknown,
): void {
  const before = asRecord(oldDest)?.server;
  const after = asRecord(newDest)?.server;
  if (clusterKey(before) === clusterKey(after)) return;
  p.add(
    `${field}.server`,
    `cannot change from ${describeServer(before)} to ${describeServer(after)}: the objects already applied would be ` +
      "left behind on the old cluster. Create a new object for the new cluster instead, and delete this one " +
      "(its objects are deleted or orphaned as its deletionPolicy says)",
  );
}
