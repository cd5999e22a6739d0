import { infrahubSyncProblems } from "./infrahubsync-admission";
import { INVALID_SYNCS, sync as caseSync } from "../../../tests/admission/sync-cases";

type Json = Record<string, unknown>;

/** A valid InfrahubSync with `source` and `spec` overrides (undefined removes a field). */
function sync(source: Json = {}, spec: Json = {}, name = "web"): Json {
  const s: Json = {
    infrahubAPIURL: "https://infrahub.example.com",
    targetBranch: "main",
    artefactName: "Webserver_Manifest",
    ...source,
  };
  for (const k of Object.keys(s)) if (s[k] === undefined) delete s[k];
  return {
    apiVersion: "infrahub.operators.com/v1alpha1",
    kind: "InfrahubSync",
    metadata: { name },
    spec: { source: s, ...spec },
  };
}

const problems = (source: Json = {}, spec: Json = {}) => infrahubSyncProblems(sync(source, spec));

/** Vidra's documented sample (docs/docs/guides/usage.md), as the API server hands it over. */
const vidraSample = {
  apiVersion: "infrahub.operators.com/v1alpha1",
  kind: "InfrahubSync",
  metadata: {
    name: "sync-test-webserver",
    labels: { "app.kubernetes.io/name": "vidra", "app.kubernetes.io/managed-by": "kustomize" },
  },
  spec: {
    source: {
      infrahubAPIURL: "https://infrahub-server.infrahub.orb.local",
      targetBranch: "main",
      targetDate: "2025-04-09T00:00:00Z",
      artefactName: "Webserver_Manifest",
    },
    destination: {
      server: "https://k8s-cldop-test-0.network.garden:6443",
      namespace: "default",
      reconcileOnEvents: true,
    },
  },
};

describe("accepted", () => {
  test("Vidra's sample, unchanged", () => {
    expect(infrahubSyncProblems(vidraSample)).toEqual([]);
  });

  test.each<[string, Json, Json]>([
    ["the minimum", {}, {}],
    [
      "an http URL with a port and path prefix",
      { infrahubAPIURL: "http://infrahub.local:8000/prefix/" },
      {},
    ],
    ["a branch with / and .", { targetBranch: "feature/web-1.2" }, {}],
    ["targetDate empty (the latest)", { targetDate: "" }, {}],
    ["targetDate now-2h", { targetDate: "now-2h" }, {}],
    ["targetDate -2d", { targetDate: "-2d" }, {}],
    ["targetDate with an offset", { targetDate: "2025-01-01T02:00:00.5+02:00" }, {}],
    ["an artefactName with inner spaces", { artefactName: "Web Manifest" }, {}],
    ["StoredQuery with a queryName", { discovery: "StoredQuery", queryName: "ArtifactIDs_v2" }, {}],
    ["a queryName with dots and dashes", { queryName: "artifact-ids.v2" }, {}],
    ["StoredQuery with an empty targetIds list", { targetIds: [] }, {}],
    [
      "GraphQL with filters",
      {
        discovery: "GraphQL",
        definitionName: "Webserver_Artifact_Definition",
        targetIds: ["17a0-c3", "17a1-c3"],
      },
      {},
    ],
    ["GraphQL with an empty queryName", { discovery: "GraphQL", queryName: "" }, {}],
    [
      "credentials with default keys",
      { credentialsSecretRef: { name: "infrahub", namespace: "default" } },
      {},
    ],
    [
      "credentials with a token key",
      { credentialsSecretRef: { name: "infrahub", namespace: "default", tokenKey: "api-token" } },
      {},
    ],
    [
      "a CA bundle",
      { tls: { caSecretRef: { name: "infrahub-ca", namespace: "default", key: "ca.pem" } } },
      {},
    ],
    ["skip-verify", { tls: { insecureSkipVerify: true } }, {}],
    [
      "tls with skip-verify false on http",
      { infrahubAPIURL: "http://infrahub:8000", tls: { insecureSkipVerify: false } },
      {},
    ],
    ["intervals", {}, { pollInterval: "30s", reapplyInterval: "0" }],
    ["waiting for health", {}, { wait: true, timeout: "10m" }],
    [
      "a remote destination with a kubeconfig",
      {},
      {
        destination: {
          server: "https://k8s.example.com:6443",
          kubeconfigSecretRef: { name: "k", namespace: "vidra-system" },
        },
      },
    ],
    [
      "policy fields",
      {},
      {
        suspend: true,
        prune: false,
        allowEmpty: true,
        adoption: "Adopt",
        deletionPolicy: "Orphan",
      },
    ],
  ])("%s", (_, source, spec) => {
    expect(problems(source, spec)).toEqual([]);
  });

  test("a name of 63 characters", () => {
    expect(infrahubSyncProblems(sync({}, {}, "n".repeat(63)))).toEqual([]);
  });
});

describe("denied, with the field, the problem and the fix", () => {
  test.each<[string, Json, Json, string | RegExp]>([
    [
      "no source",
      {},
      { source: undefined },
      "spec.source is required: it says where the artifacts come from (infrahubAPIURL, targetBranch, artefactName)",
    ],
    [
      "no URL",
      { infrahubAPIURL: undefined },
      {},
      'spec.source.infrahubAPIURL is required: the base URL of the Infrahub server, e.g. "https://infrahub.example.com"',
    ],
    [
      "a bad scheme",
      { infrahubAPIURL: "ftp://infrahub.example.com" },
      {},
      'spec.source.infrahubAPIURL must use http or https, not ftp: e.g. "https://infrahub.example.com"',
    ],
    [
      "credentials in the URL",
      { infrahubAPIURL: "https://admin:infrahub@infrahub.example.com" },
      {},
      "spec.source.infrahubAPIURL must not contain credentials (user:password@): they would show in logs and status, put them in a Secret referenced by spec.source.credentialsSecretRef",
    ],
    [
      "a query in the URL",
      { infrahubAPIURL: "https://infrahub.example.com/?branch=main" },
      {},
      /^spec\.source\.infrahubAPIURL must not have a query string/,
    ],
    [
      "a bad host",
      { infrahubAPIURL: "https://infra_hub.example.com" },
      {},
      /^spec\.source\.infrahubAPIURL has an invalid host "infra_hub\.example\.com"/,
    ],
    [
      "an empty branch",
      { targetBranch: "" },
      {},
      'spec.source.targetBranch is empty: name the Infrahub branch to read, e.g. "main"',
    ],
    [
      "a whitespace branch",
      { targetBranch: "  " },
      {},
      'spec.source.targetBranch is empty: name the Infrahub branch to read, e.g. "main"',
    ],
    [
      "a branch with spaces",
      { targetBranch: "my branch" },
      {},
      'spec.source.targetBranch "my branch" contains spaces or control characters, which Infrahub branch names never have: remove them',
    ],
    [
      "an unparsable targetDate",
      { targetDate: "yesterday" },
      {},
      'spec.source.targetDate "yesterday" is not valid (unrecognised format): use an RFC3339 timestamp such as 2025-01-01T00:00:00Z ' +
        "(UTC offsets like +02:00 and fractional seconds are allowed), a relative time such as now-2h, now-30m, now-45s, now-3d or now-1w, " +
        "or the short form -2d (units s, m, h, d, w)",
    ],
    [
      "an impossible date",
      { targetDate: "2025-02-30T00:00:00Z" },
      {},
      /^spec\.source\.targetDate "2025-02-30T00:00:00Z" is not valid \(day 30 does not exist in 2025-02\)/,
    ],
    [
      "a blank targetDate",
      { targetDate: "  " },
      {},
      'spec.source.targetDate is blank: remove it (or set "") to read the latest artifacts, or give a time such as "now-2h"',
    ],
    [
      "an empty artefactName",
      { artefactName: "" },
      {},
      /^spec\.source\.artefactName is blank: give the artifact name to sync \(the artifact definition's artifact_name/,
    ],
    [
      "a spaces-only artefactName",
      { artefactName: "   " },
      {},
      /^spec\.source\.artefactName is blank/,
    ],
    [
      "a padded artefactName",
      { artefactName: "Webserver_Manifest " },
      {},
      "spec.source.artefactName has spaces at the start or end, so it would match nothing in Infrahub: remove them",
    ],
    [
      "a queryName with spaces",
      { queryName: "Artifact IDs" },
      {},
      'spec.source.queryName "Artifact IDs" contains spaces, control characters or "/", which no stored query name used in ' +
        '/api/query/<name> can have: give the name of the stored query (e.g. "ArtifactIDs"), or remove it to use the operator\'s default',
    ],
    [
      "a blank queryName",
      { queryName: "  " },
      {},
      /^spec\.source\.queryName " {2}" contains spaces/,
    ],
    [
      "a queryName with a slash",
      { queryName: "queries/ArtifactIDs" },
      {},
      /^spec\.source\.queryName "queries\/ArtifactIDs" contains spaces, control characters or "\/"/,
    ],
    [
      "queryName with GraphQL",
      { discovery: "GraphQL", queryName: "ArtifactIDs" },
      {},
      "spec.source.queryName only applies with discovery: StoredQuery (discovery is GraphQL): remove it, or set discovery: StoredQuery",
    ],
    [
      "definitionName with StoredQuery",
      { definitionName: "Webserver_Artifact_Definition" },
      {},
      "spec.source.definitionName only applies with discovery: GraphQL (discovery is StoredQuery): set discovery: GraphQL to filter this way, or remove the field",
    ],
    [
      "targetIds with StoredQuery",
      { discovery: "StoredQuery", targetIds: ["a"] },
      {},
      "spec.source.targetIds only apply with discovery: GraphQL (discovery is StoredQuery): set discovery: GraphQL to filter this way, or remove the field",
    ],
    [
      "a blank definitionName",
      { discovery: "GraphQL", definitionName: " " },
      {},
      "spec.source.definitionName is blank: give the artifact definition's name, or remove the field",
    ],
    [
      "an empty targetIds entry",
      { discovery: "GraphQL", targetIds: ["a", ""] },
      {},
      "spec.source.targetIds[1] is empty: give the id of a target object in Infrahub, or remove the entry",
    ],
    [
      "a blank targetIds entry",
      { discovery: "GraphQL", targetIds: ["  "] },
      {},
      "spec.source.targetIds[0] is empty: give the id of a target object in Infrahub, or remove the entry",
    ],
    [
      "a padded targetIds entry",
      { discovery: "GraphQL", targetIds: [" a"] },
      {},
      "spec.source.targetIds[0] has spaces at the start or end, so it would match no target: remove them",
    ],
    [
      "a credentials Secret without namespace",
      { credentialsSecretRef: { name: "infrahub" } },
      {},
      "spec.source.credentialsSecretRef.namespace is required: this object is cluster-scoped, so the Secret's namespace must be given",
    ],
    [
      "a malformed credentials Secret name",
      { credentialsSecretRef: { name: "Infrahub_Creds", namespace: "default" } },
      {},
      /^spec\.source\.credentialsSecretRef\.name "Infrahub_Creds" is not a valid DNS-1123 subdomain/,
    ],
    [
      "a malformed data key",
      { credentialsSecretRef: { name: "c", namespace: "default", tokenKey: "api token" } },
      {},
      /^spec\.source\.credentialsSecretRef\.tokenKey "api token" is not a valid Secret data key/,
    ],
    [
      "two roles on one data key",
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
      "a token key that is the password key",
      { credentialsSecretRef: { name: "c", namespace: "default", tokenKey: "password" } },
      {},
      'spec.source.credentialsSecretRef passwordKey and tokenKey both name the data key "password": each must name a key of its own',
    ],
    [
      "a CA Secret without name",
      { tls: { caSecretRef: { namespace: "default" } } },
      {},
      "spec.source.tls.caSecretRef.name is required: the name of the Secret",
    ],
    [
      "CA and skip-verify",
      { tls: { caSecretRef: { name: "ca", namespace: "default" }, insecureSkipVerify: true } },
      {},
      "spec.source.tls sets both caSecretRef and insecureSkipVerify: true, which contradict each other: keep caSecretRef (verify against that CA) or insecureSkipVerify (no verification), not both",
    ],
    [
      "tls with http",
      { infrahubAPIURL: "http://infrahub:8000", tls: { insecureSkipVerify: true } },
      {},
      "spec.source.tls has no effect with an http:// infrahubAPIURL: use an https:// URL, or remove tls",
    ],
    [
      "a CA with HTTP (any case)",
      {
        infrahubAPIURL: "HTTP://infrahub:8000",
        tls: { caSecretRef: { name: "ca", namespace: "default" } },
      },
      {},
      "spec.source.tls has no effect with an http:// infrahubAPIURL: use an https:// URL, or remove tls",
    ],
    [
      "a bad destination server",
      {},
      { destination: { server: "k8s.example.com" } },
      /^spec\.destination\.server must be an absolute URL/,
    ],
    [
      "a kubeconfig for the local cluster",
      {},
      { destination: { kubeconfigSecretRef: { name: "k", namespace: "n" } } },
      /^spec\.destination\.kubeconfigSecretRef is set but server is empty/,
    ],
    [
      "a bad destination namespace",
      {},
      { destination: { namespace: "Default" } },
      /^spec\.destination\.namespace "Default" is not a valid DNS-1123 label/,
    ],
    [
      "a days pollInterval",
      {},
      { pollInterval: "1d" },
      /^spec\.pollInterval "1d" is not a valid duration \(unknown unit "d"/,
    ],
    [
      "a negative pollInterval",
      {},
      { pollInterval: "-5m" },
      'spec.pollInterval "-5m" is negative: use a positive duration such as "5m", or "0" to disable',
    ],
    [
      "a sub-second pollInterval",
      {},
      { pollInterval: "100ms" },
      /^spec\.pollInterval "100ms" is shorter than 1s: Infrahub would be asked for artifacts more than once a second/,
    ],
    [
      "a bad reapplyInterval",
      {},
      { reapplyInterval: "soon" },
      /^spec\.reapplyInterval "soon" is not a valid duration/,
    ],
    [
      "a sub-second reapplyInterval",
      {},
      { reapplyInterval: "10ms" },
      /^spec\.reapplyInterval "10ms" is shorter than 1s: every applied object would be re-applied more than once a second/,
    ],
    [
      "a zero health timeout",
      {},
      { wait: true, timeout: "0s" },
      /^spec\.timeout "0s" must be positive/,
    ],
  ])("%s", (_, source, spec, expected) => {
    const found = problems(source, spec);
    expect(found).toHaveLength(1);
    if (typeof expected === "string") expect(found[0]).toBe(expected);
    else expect(found[0]).toMatch(expected);
    expect(found[0]).not.toContain(";");
  });

  test("a name longer than a label value", () => {
    expect(infrahubSyncProblems(sync({}, {}, "n".repeat(64)))).toEqual([
      "metadata.name is 64 characters long: every VidraResource of this sync is labelled with its name " +
        "(infrahub.operators.com/sync) and label values hold at most 63 characters, so choose a shorter name",
    ]);
  });

  test("every problem at once", () => {
    const found = problems(
      { infrahubAPIURL: "ftp://x", targetBranch: "", targetDate: "soon", artefactName: " " },
      { pollInterval: "-1s" },
    );
    expect(found.map(f => f.split(" ")[0])).toEqual([
      "spec.source.infrahubAPIURL",
      "spec.source.targetBranch",
      "spec.source.targetDate",
      "spec.source.artefactName",
      "spec.pollInterval",
    ]);
  });

  test("odd shapes never throw", () => {
    for (const o of [
      undefined,
      null,
      "x",
      [],
      { spec: "x" },
      { spec: { source: [] } },
      { spec: { source: { targetIds: "a", tls: "x", credentialsSecretRef: 1 } } },
    ]) {
      expect(() => infrahubSyncProblems(o)).not.toThrow();
      expect(() => infrahubSyncProblems(o, o)).not.toThrow();
    }
  });
});

describe("updates", () => {
  const remote = (server: string) => ({ destination: { server } });

  test("moving to another cluster is denied, whatever else is fine", () => {
    const found = infrahubSyncProblems(
      sync({}, remote("https://b.example.com:6443")),
      sync({}, remote("https://a.example.com:6443")),
    );
    expect(found).toEqual([
      'spec.destination.server cannot change from "https://a.example.com:6443" to "https://b.example.com:6443": the objects ' +
        "already applied would be left behind on the old cluster. Create a new object for the new cluster instead, and " +
        "delete this one (its objects are deleted or orphaned as its deletionPolicy says)",
    ]);
    expect(infrahubSyncProblems(sync(), sync({}, remote("https://a.example.com:6443")))[0]).toMatch(
      /to the local cluster/,
    );
  });

  test("other changes are honoured", () => {
    const before = sync(
      {},
      { pollInterval: "1m", destination: { server: "https://a.example.com", namespace: "x" } },
    );
    const after = sync(
      { infrahubAPIURL: "https://other.example.com", targetBranch: "dev", discovery: "GraphQL" },
      {
        pollInterval: "5m",
        suspend: true,
        destination: { server: "https://a.example.com/", namespace: "y" },
      },
    );
    expect(infrahubSyncProblems(after, before)).toEqual([]);
  });

  test("a problem the stored object already had does not block the update (ratcheting)", () => {
    const stored = sync({ targetDate: "yesterday" }, {}, "n".repeat(70));
    const withFinalizerRemoved = sync({ targetDate: "yesterday" }, {}, "n".repeat(70));
    expect(infrahubSyncProblems(withFinalizerRemoved, stored)).toEqual([]);
    // …but a new problem, or a changed bad value, is denied.
    expect(
      infrahubSyncProblems(
        sync({ targetDate: "yesterday" }, { pollInterval: "-1m" }),
        sync({ targetDate: "yesterday" }),
      ),
    ).toEqual([
      'spec.pollInterval "-1m" is negative: use a positive duration such as "5m", or "0" to disable',
    ]);
    expect(
      infrahubSyncProblems(sync({ targetDate: "tomorrow" }), sync({ targetDate: "yesterday" }))[0],
    ).toMatch(/^spec\.source\.targetDate "tomorrow"/);
  });
});

describe("the same sentences as the CRD's own rules", () => {
  // tests/admission/crd-validation.test.ts refuses these objects on an API server with the CRD's CEL
  // rules alone and expects exactly these messages; the webhook must say the same.
  test.each(INVALID_SYNCS)("%s", (name, source, spec, message) => {
    expect(infrahubSyncProblems(caseSync(name, source, spec))).toEqual([message]);
  });
});

describe("tenancy", () => {
  test("a ServiceAccount and a fence are accepted; bad names and kinds are refused", () => {
    expect(
      problems(
        {},
        {
          serviceAccountName: "applier",
          serviceAccountNamespace: "team-a",
          fence: { allowedNamespaces: ["team-a"], deniedKinds: ["ClusterRoleBinding"] },
        },
      ),
    ).toEqual([]);
    expect(
      problems({}, { serviceAccountName: "a_b", fence: { allowedNamespaces: ["-x"] } }),
    ).toEqual([
      expect.stringMatching(/^spec\.serviceAccountName /),
      expect.stringMatching(/^spec\.fence\.allowedNamespaces\[0\] /),
    ]);
  });
});
