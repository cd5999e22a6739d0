/**
 * The InfrahubSyncs every admission test refuses, with the message a person reads: the same from the
 * API server's own validation (the CRD's CEL rules, which hold without the webhook) and from the
 * module's webhook. Objects that could be stored point at loopback and are suspended.
 */
import type { Json } from "./helpers";

/** An InfrahubSync; `undefined` in `source` removes a field. */
export function sync(name: string, source: Json = {}, spec: Json = {}): Json {
  const s: Json = {
    infrahubAPIURL: "https://localhost:8443",
    targetBranch: "main",
    artefactName: "Webserver_Manifest",
    ...source,
  };
  for (const k of Object.keys(s)) if (s[k] === undefined) delete s[k];
  return {
    apiVersion: "infrahub.operators.com/v1alpha1",
    kind: "InfrahubSync",
    metadata: { name },
    spec: { source: s, suspend: true, ...spec },
  };
}

/** [name, source fields, spec fields, "<field> <message>"] */
export const INVALID_SYNCS: Array<[string, Json, Json, string]> = [
  [
    "bad-scheme",
    { infrahubAPIURL: "ftp://localhost" },
    {},
    'spec.source.infrahubAPIURL must use http or https, not ftp: e.g. "https://infrahub.example.com"',
  ],
  [
    "url-query",
    { infrahubAPIURL: "https://localhost:8443/?branch=main" },
    {},
    'spec.source.infrahubAPIURL must not have a query string (?…) or fragment (#…): give the base URL only, e.g. "https://infrahub.example.com"',
  ],
  [
    "blank-branch",
    { targetBranch: "  " },
    {},
    'spec.source.targetBranch is empty: name the Infrahub branch to read, e.g. "main"',
  ],
  [
    "bad-date",
    { targetDate: "yesterday" },
    {},
    'spec.source.targetDate "yesterday" is not valid (unrecognised format): use an RFC3339 timestamp such as 2025-01-01T00:00:00Z ' +
      "(UTC offsets like +02:00 and fractional seconds are allowed), a relative time such as now-2h, now-30m, now-45s, now-3d or now-1w, " +
      "or the short form -2d (units s, m, h, d, w)",
  ],
  [
    "blank-artefact",
    { artefactName: "   " },
    {},
    'spec.source.artefactName is blank: give the artifact name to sync (the artifact definition\'s artifact_name, e.g. "Webserver_Manifest")',
  ],
  [
    "days-poll",
    {},
    { pollInterval: "1d" },
    'spec.pollInterval "1d" is not a valid duration (unknown unit "d" (days are not a Go unit: use hours, e.g. 48h)): use Go duration ' +
      'syntax such as "30s", "5m" or "1h30m" (units ns, us, ms, s, m, h), or "0" to disable',
  ],
  [
    "negative-reapply",
    {},
    { reapplyInterval: "-5m" },
    'spec.reapplyInterval "-5m" is negative: use a positive duration such as "5m", or "0" to disable',
  ],
  [
    "subsecond-poll",
    {},
    { pollInterval: "100ms" },
    'spec.pollInterval "100ms" is shorter than 1s: Infrahub would be asked for artifacts more than once a second, which is almost ' +
      'certainly a unit slip. Use at least "1s" (e.g. "30s" or "5m"), or "0" to disable',
  ],
  [
    "bad-secret-name",
    { credentialsSecretRef: { name: "Infrahub_Creds", namespace: "default" } },
    {},
    'spec.source.credentialsSecretRef.name "Infrahub_Creds" is not a valid DNS-1123 subdomain (lowercase letters, digits, "-" and ".", starting and ending with a letter or digit)',
  ],
  [
    "bad-ca-key",
    { tls: { caSecretRef: { name: "infrahub-ca", namespace: "default", key: ".." } } },
    {},
    'spec.source.tls.caSecretRef.key ".." is not a valid Secret data key (it must not be "." or start with "..")',
  ],
  [
    "same-keys",
    {
      credentialsSecretRef: {
        name: "c",
        namespace: "default",
        usernameKey: "login",
        passwordKey: "login",
      },
    },
    {},
    'spec.source.credentialsSecretRef usernameKey and passwordKey both name the data key "login": each must name a key of its own',
  ],
  [
    "bad-server",
    {},
    { destination: { server: "k8s.example.com:6443" } },
    'spec.destination.server must be an absolute URL starting with http:// or https://, e.g. "https://api.cluster.example.com:6443"',
  ],
  [
    "alias-server",
    {},
    { destination: { server: "https://kubernetes.default.svc.cluster.local" } },
    'spec.destination.server names this cluster\'s own API service, but only an empty server or exactly "https://kubernetes.default.svc" ' +
      "means the local cluster (any other spelling is treated as a remote cluster that needs a kubeconfig Secret): write it that way or leave server empty",
  ],
  [
    "local-kubeconfig",
    {},
    { destination: { kubeconfigSecretRef: { name: "remote", namespace: "default" } } },
    "spec.destination.kubeconfigSecretRef is set but server is empty, which means the local cluster (reached with the operator's own " +
      "identity): set server to the remote cluster's API URL, or remove kubeconfigSecretRef",
  ],
  [
    "query-with-graphql",
    { discovery: "GraphQL", queryName: "ArtifactIDs" },
    {},
    "spec.source.queryName only applies with discovery: StoredQuery (discovery is GraphQL): remove it, or set discovery: StoredQuery",
  ],
  [
    "filters-with-storedquery",
    { definitionName: "Webserver_Artifact_Definition" },
    {},
    "spec.source.definitionName only applies with discovery: GraphQL (discovery is StoredQuery): set discovery: GraphQL to filter this way, or remove the field",
  ],
  [
    "empty-target-id",
    { discovery: "GraphQL", targetIds: ["17a0", ""] },
    {},
    "spec.source.targetIds[1] is empty: give the id of a target object in Infrahub, or remove the entry",
  ],
  [
    "tls-with-http",
    { infrahubAPIURL: "http://localhost:8000", tls: { insecureSkipVerify: true } },
    {},
    "spec.source.tls has no effect with an http:// infrahubAPIURL: use an https:// URL, or remove tls",
  ],
  [
    "ca-and-skip",
    { tls: { caSecretRef: { name: "ca", namespace: "default" }, insecureSkipVerify: true } },
    {},
    "spec.source.tls sets both caSecretRef and insecureSkipVerify: true, which contradict each other: keep caSecretRef " +
      "(verify against that CA) or insecureSkipVerify (no verification), not both",
  ],
];
