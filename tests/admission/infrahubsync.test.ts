/**
 * InfrahubSync admission through the real API server with the module running: `kubectl apply -f -` as
 * a person runs it, the refusal kubectl prints (from the CRD's own rules, which the API server checks
 * before calling the webhook, or from the webhook for what needs code), what is admitted, updates, and
 * `kubectl explain`. tests/admission/crd-validation.test.ts refuses the same objects with no webhook at
 * all. Objects that could be stored point at 127.0.0.1 and are suspended, so the operator never
 * reaches anything but loopback.
 */
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import { eventually } from "../support/cluster";
import { infrahubSyncCrd as crd } from "../../crds/sources/infrahubsync";
import {
  apply,
  denial,
  exists,
  explain,
  problems,
  schemaFields,
  webhookLive,
  withoutRules,
  type Json,
} from "./helpers";
import { INVALID_SYNCS, sync } from "./sync-cases";

let env: OperatorEnv;

beforeAll(async () => {
  env = await startOperatorEnv({ name: "admission-sync" });
  await webhookLive(env, WEBHOOK_ONLY);
}, 240_000);

/** Refused by the webhook only: the schema checks the date's format, not whether the day exists. */
const WEBHOOK_ONLY = sync("probe", { targetDate: "2025-02-30T00:00:00Z" });

afterAll(async () => {
  await env?.stop();
});

describe("kubectl apply of an invalid InfrahubSync is refused with a message naming the field", () => {
  test.each(INVALID_SYNCS)("%s", (name, source, spec, message) => {
    expect(problems(apply(env, sync(name, source, spec)))).toEqual([message]);
    expect(exists(env, "infrahubsync", name)).toBe(false);
  });

  test("a name too long for the label every VidraResource carries", () => {
    const name = `web-${"x".repeat(60)}`;
    expect(problems(apply(env, sync(name)))).toEqual([
      "metadata.name is longer than 63 characters: every VidraResource of this sync is labelled with its name " +
        "(infrahub.operators.com/sync) and label values hold at most 63 characters, so choose a shorter name",
    ]);
  });

  test("what needs code is the webhook's: a day that does not exist", () => {
    expect(denial(apply(env, sync("no-such-day", { targetDate: "2025-02-30T00:00:00Z" })))).toBe(
      'spec.source.targetDate "2025-02-30T00:00:00Z" is not valid (day 30 does not exist in 2025-02): use an RFC3339 timestamp ' +
        "such as 2025-01-01T00:00:00Z (UTC offsets like +02:00 and fractional seconds are allowed), a relative time such as " +
        "now-2h, now-30m, now-45s, now-3d or now-1w, or the short form -2d (units s, m, h, d, w)",
    );
  });

  test("credentials in the URL are refused without being repeated", () => {
    const r = apply(
      env,
      sync("url-creds", { infrahubAPIURL: "https://admin:Sup3rS3cret@localhost:8443" }),
    );
    expect(problems(r)).toEqual([
      "spec.source.infrahubAPIURL must not contain credentials (user:password@): they would show in logs and status, " +
        "put them in a Secret referenced by spec.source.credentialsSecretRef",
    ]);
    expect(r.stderr).not.toContain("Sup3rS3cret");
  });

  test("every problem is listed at once", () => {
    const parts = problems(
      apply(
        env,
        sync("many", { infrahubAPIURL: "localhost", targetDate: "soon" }, { pollInterval: "-1s" }),
      ),
    );
    expect(parts.map(p => p.split(" ")[0]).sort()).toEqual([
      "spec.pollInterval",
      "spec.source.infrahubAPIURL",
      "spec.source.targetDate",
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
    expect(problems(patch)[0]).toMatch(
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
    // Vidra's CRD had none of these rules, and no webhook: store the object that way.
    const applyCrd = (c: object) =>
      env.kubectl(
        [
          "apply",
          "--server-side",
          "--force-conflicts",
          "--field-manager=vidra-pepr-dev",
          "-f",
          "-",
        ],
        JSON.stringify(c),
      );
    env.kubectl(["delete", "validatingwebhookconfiguration", "pepr-vidra-pepr"]);
    applyCrd(withoutRules(crd));
    try {
      await eventually(async () => apply(env, legacy).code === 0, {
        what: "the object to be stored without the rules",
      });
    } finally {
      applyCrd(crd);
      const { name, labels, annotations } = hook.metadata;
      env.kubectl(
        ["create", "-f", "-"],
        JSON.stringify({ ...hook, metadata: { name, labels, annotations } }),
      );
    }
    await webhookLive(env, WEBHOOK_ONLY);
    await eventually(
      async () =>
        apply(env, sync("rules-back", { targetDate: "soon" }), ["--dry-run=server"]).code !== 0,
      {
        what: "the CRD's rules back in force",
      },
    );

    // The API server ratchets its rules as the webhook does: what did not change is not re-checked.
    expect(env.kubectlResult(["label", "infrahubsync", "legacy", "team=web"]).code).toBe(0);
    const worse = env.kubectlResult([
      "patch",
      "infrahubsync",
      "legacy",
      "--type=merge",
      "-p",
      '{"spec":{"pollInterval":"-1m"}}',
    ]);
    expect(problems(worse)).toEqual([
      'spec.pollInterval "-1m" is negative: use a positive duration such as "5m", or "0" to disable',
    ]);
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
  const spec = (crd.spec.versions[0].schema.openAPIV3Schema as Json).properties as Record<
    string,
    Json
  >;
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
