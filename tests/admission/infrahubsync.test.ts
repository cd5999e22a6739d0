/**
 * InfrahubSync admission through the real API server: `kubectl apply -f -` as a person runs it, the
 * denial text kubectl prints, what is admitted, updates, and `kubectl explain`. Objects that could be
 * stored point at 127.0.0.1 and are suspended, so the operator never reaches anything but loopback.
 */
import { infrahubSyncCrd } from "../../crds/sources/infrahubsync";
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import { eventually } from "../support/cluster";
import { apply, denial, exists, explain, schemaFields, webhookLive, type Json } from "./helpers";

let env: OperatorEnv;

/** An InfrahubSync; `undefined` in `source` removes a field. */
function sync(name: string, source: Json = {}, spec: Json = {}): Json {
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

beforeAll(async () => {
  env = await startOperatorEnv({ name: "admission-sync" });
  await webhookLive(env, sync("probe", { infrahubAPIURL: "ftp://localhost" }));
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

describe("kubectl apply of an invalid InfrahubSync is denied with the module's message", () => {
  test.each<[string, Json, Json, string]>([
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
  ])("%s", (name, source, spec, message) => {
    expect(denial(apply(env, sync(name, source, spec)))).toBe(message);
    expect(exists(env, "infrahubsync", name)).toBe(false);
  });

  test("a name too long for the label every VidraResource carries", () => {
    const name = `web-${"x".repeat(60)}`;
    expect(denial(apply(env, sync(name)))).toBe(
      "metadata.name is 64 characters long: every VidraResource of this sync is labelled with its name " +
        "(infrahub.operators.com/sync) and label values hold at most 63 characters, so choose a shorter name",
    );
  });

  test("credentials in the URL are refused without being repeated", () => {
    const r = apply(
      env,
      sync("url-creds", { infrahubAPIURL: "https://admin:Sup3rS3cret@localhost:8443" }),
    );
    expect(denial(r)).toBe(
      "spec.source.infrahubAPIURL must not contain credentials (user:password@): they would show in logs and status, " +
        "put them in a Secret referenced by spec.source.credentialsSecretRef",
    );
    expect(r.stderr).not.toContain("Sup3rS3cret");
  });

  test("every problem is listed at once", () => {
    const text = denial(
      apply(
        env,
        sync("many", { infrahubAPIURL: "localhost", targetDate: "soon" }, { pollInterval: "-1s" }),
      ),
    );
    const parts = text.split("; ");
    expect(parts.map(p => p.split(" ")[0])).toEqual([
      "spec.source.infrahubAPIURL",
      "spec.source.targetDate",
      "spec.pollInterval",
    ]);
  });
});

describe("valid objects are admitted", () => {
  test.each<[string, Json, Json]>([
    ["relative-date", { targetDate: "now-2h" }, {}],
    ["short-date", { targetDate: "-2d" }, { pollInterval: "30s", reapplyInterval: "0" }],
    [
      "graphql",
      {
        discovery: "GraphQL",
        definitionName: "Webserver_Artifact_Definition",
        targetIds: ["17a0-c3"],
      },
      {},
    ],
    [
      "credentials-and-ca",
      {
        credentialsSecretRef: { name: "infrahub", namespace: "default", tokenKey: "api-token" },
        tls: { caSecretRef: { name: "ca", namespace: "default" } },
      },
      {},
    ],
    [
      "remote",
      {},
      {
        destination: {
          server: "https://127.0.0.1:6443",
          namespace: "apps",
          kubeconfigSecretRef: { name: "k", namespace: "default" },
        },
      },
    ],
    [
      "policies",
      {},
      { prune: false, allowEmpty: true, adoption: "Adopt", deletionPolicy: "Orphan" },
    ],
  ])("%s (server-side dry run)", (name, source, spec) => {
    const r = apply(env, sync(name, source, spec), ["--dry-run=server"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(
      `infrahubsync.infrahub.operators.com/${name} created (server dry run)`,
    );
  });

  test("Vidra's documented sample is admitted unchanged", () => {
    // Verbatim from Vidra's docs/docs/guides/usage.md (comments trimmed). Its URLs are not loopback, so
    // it goes through admission as a server-side dry run: stored, the operator would try to reach them.
    const sample = `apiVersion: infrahub.operators.com/v1alpha1
kind: InfrahubSync
metadata:
  name: sync-test-webserver
  labels:
    app.kubernetes.io/name: vidra
    app.kubernetes.io/managed-by: kustomize
spec:
  source:
    infrahubAPIURL: "https://infrahub-server.infrahub.orb.local"
    targetBranch: "main"
    targetDate: "2025-04-09T00:00:00Z"
    artefactName: "Webserver_Manifest"
  destination:
    server: 'https://k8s-cldop-test-0.network.garden:6443'
    namespace: 'default'
    reconcileOnEvents: true
`;
    const r = apply(env, sample, ["--dry-run=server", "-o", "json"]);
    expect(r.stderr).toBe("");
    const admitted = JSON.parse(r.stdout);
    expect(admitted.metadata.labels).toEqual({
      "app.kubernetes.io/name": "vidra",
      "app.kubernetes.io/managed-by": "kustomize",
    });
    expect(admitted.spec.source).toMatchObject({
      infrahubAPIURL: "https://infrahub-server.infrahub.orb.local",
      targetBranch: "main",
      targetDate: "2025-04-09T00:00:00Z",
      artefactName: "Webserver_Manifest",
    });
    expect(admitted.spec.destination).toEqual({
      server: "https://k8s-cldop-test-0.network.garden:6443",
      namespace: "default",
      reconcileOnEvents: true,
    });
  });
});

describe("updates", () => {
  test("changing destination.server is denied; other changes are admitted", () => {
    const base = sync("moving", { infrahubAPIURL: env.sim.url });
    expect(apply(env, base).code).toBe(0);
    const moved = sync(
      "moving",
      { infrahubAPIURL: env.sim.url },
      { destination: { server: "https://127.0.0.1:6443" } },
    );
    expect(denial(apply(env, moved))).toBe(
      'spec.destination.server cannot change from the local cluster to "https://127.0.0.1:6443": the objects already applied ' +
        "would be left behind on the old cluster. Create a new object for the new cluster instead, and delete this one " +
        "(its objects are deleted or orphaned as its deletionPolicy says)",
    );
    const stored = JSON.parse(env.kubectl(["get", "infrahubsync", "moving", "-o", "json"]));
    expect(stored.spec.destination?.server).toBeUndefined();

    const retuned = sync(
      "moving",
      { infrahubAPIURL: env.sim.url, targetBranch: "dev" },
      { pollInterval: "5m", destination: { namespace: "apps" } },
    );
    expect(apply(env, retuned).stdout).toContain(
      "infrahubsync.infrahub.operators.com/moving configured",
    );
    const patch = env.kubectlResult([
      "patch",
      "infrahubsync",
      "moving",
      "--type=merge",
      "-p",
      '{"spec":{"source":{"targetDate":"soon"}}}',
    ]);
    expect(denial(patch)).toMatch(
      /^spec\.source\.targetDate "soon" is not valid \(unrecognised format\)/,
    );
  });

  test("an object stored before the rules (e.g. by Vidra's CRD) can still be labelled, fixed and deleted", async () => {
    const hookJson = env.kubectl([
      "get",
      "validatingwebhookconfiguration",
      "pepr-vidra-pepr",
      "-o",
      "json",
    ]);
    const hook = JSON.parse(hookJson);
    const legacy = sync("legacy", { infrahubAPIURL: env.sim.url, targetDate: "yesterday" });
    env.kubectl(["delete", "validatingwebhookconfiguration", "pepr-vidra-pepr"]);
    try {
      await eventually(async () => apply(env, legacy).code === 0, {
        what: "the object to be stored without the webhook",
      });
    } finally {
      const { name, labels, annotations } = hook.metadata;
      env.kubectl(
        ["create", "-f", "-"],
        JSON.stringify({ ...hook, metadata: { name, labels, annotations } }),
      );
    }
    await webhookLive(env, sync("probe", { infrahubAPIURL: "ftp://localhost" }));

    expect(env.kubectlResult(["label", "infrahubsync", "legacy", "team=web"]).code).toBe(0);
    const worse = env.kubectlResult([
      "patch",
      "infrahubsync",
      "legacy",
      "--type=merge",
      "-p",
      '{"spec":{"pollInterval":"-1m"}}',
    ]);
    expect(denial(worse)).toBe(
      'spec.pollInterval "-1m" is negative: use a positive duration such as "5m", or "0" to disable',
    );
    expect(
      env.kubectlResult([
        "patch",
        "infrahubsync",
        "legacy",
        "--type=merge",
        "-p",
        '{"spec":{"source":{"targetDate":"now-1h"}}}',
      ]).code,
    ).toBe(0);
    expect(env.kubectlResult(["delete", "infrahubsync", "legacy"]).code).toBe(0);
  });
});

test("kubectl explain documents every field of the spec, each with a description", () => {
  const spec = (infrahubSyncCrd.spec.versions[0].schema.openAPIV3Schema as Json)
    .properties as Record<string, Json>;
  const seen: string[] = [];
  const check = (path: string, schema: Json): void => {
    const fields = explain(env, path);
    const { names, objects } = schemaFields(schema);
    expect({ path, fields: fields.map(f => f.name).sort() }).toEqual({ path, fields: names });
    for (const f of fields) {
      expect({ field: `${path}.${f.name}`, described: f.description.length > 10 }).toEqual({
        field: `${path}.${f.name}`,
        described: true,
      });
      seen.push(`${path}.${f.name}`);
    }
    for (const o of objects) check(`${path}.${o}`, (schema.properties as Record<string, Json>)[o]);
  };
  check("infrahubsync.spec", spec.spec);
  for (const vidraField of ["infrahubAPIURL", "targetBranch", "targetDate", "artefactName"]) {
    expect(seen).toContain(`infrahubsync.spec.source.${vidraField}`);
  }
  expect(seen).toEqual(
    expect.arrayContaining([
      "infrahubsync.spec.destination.server",
      "infrahubsync.spec.source.tls.caSecretRef.key",
    ]),
  );
});
