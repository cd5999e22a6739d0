/**
 * VidraResource admission through the real API server: the manifest is parsed and checked at
 * `kubectl apply` time (document number and problem in the denial), Vidra's hand-written sample is
 * admitted and applied unchanged, the destination cannot move, and an InfrahubSync whose artifact
 * fails these checks keeps the previous version and says why in its status.
 */
import { dump } from "js-yaml";
import { vidraResourceCrd } from "../../crds/sources/vidraresource";
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import { eventually } from "../support/cluster";
import { syncJson } from "../support/fixtures";
import {
  createInfrahubSecret,
  condition,
  requestSyncNow,
  waitForCondition,
} from "../support/operator-client";
import {
  apply,
  denial,
  exists,
  explain,
  schemaFields,
  schemaProblems,
  webhookLive,
  type Json,
} from "./helpers";

let env: OperatorEnv;

const configMap = (name: string, namespace = "default") =>
  `---\n${dump({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace }, data: { port: "8080" } })}`;

function vr(name: string, spec: Json): Json {
  return {
    apiVersion: "infrahub.operators.com/v1alpha1",
    kind: "VidraResource",
    metadata: { name },
    spec,
  };
}

beforeAll(async () => {
  env = await startOperatorEnv({
    name: "admission-vr",
    sim: { seed: { users: [{ username: "admin", password: "infrahub" }] } },
  });
  await webhookLive(env, vr("probe", { manifest: "kind: [" }));
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

describe("kubectl apply of an invalid VidraResource is denied with the module's message", () => {
  test("a manifest that does not parse: the document and the line", () => {
    const text = denial(
      apply(env, vr("unparsable", { manifest: `${configMap("a")}---\napiVersion: v1\nkind: [\n` })),
    );
    expect(text).toMatch(
      /^spec\.manifest document 2: unexpected end of the stream within a flow collection at line \d+, column \d+$/,
    );
    expect(exists(env, "vidraresource", "unparsable")).toBe(false);
  });

  test("objects that cannot be applied: every problem with its document", () => {
    const manifest = `${configMap("ok")}${configMap("Bad_Name")}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {generateName: web-}\n`;
    expect(denial(apply(env, vr("invalid-objects", { manifest }))).split("; ")).toEqual([
      'spec.manifest document 2, ConfigMap/Bad_Name: metadata.name "Bad_Name" is not a valid DNS-1123 subdomain (lowercase letters, ' +
        'digits, "-" and ".", starting and ending with a letter or digit)',
      "spec.manifest document 3, Deployment: metadata.generateName is not supported: the operator must know each object's name " +
        "to track and prune it, set metadata.name",
      "spec.manifest document 3, Deployment: metadata.name is required",
    ]);
  });

  test("an object without kind", () => {
    expect(
      denial(
        apply(
          env,
          vr("no-kind", {
            manifest: `${configMap("a")}---\napiVersion: v1\nmetadata: {name: x}\n`,
          }),
        ),
      ),
    ).toBe("spec.manifest document 2: missing kind");
  });

  test("the same object twice", () => {
    expect(
      denial(apply(env, vr("twice", { manifest: `${configMap("a")}${configMap("a")}` }))),
    ).toBe(
      "spec.manifest document 2, ConfigMap/a: ConfigMap/default/a is defined twice: first in document 1",
    );
  });

  test("the same object twice, named where it would go: the destination namespace, none for cluster-scoped kinds", () => {
    const manifest = [
      "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\n",
      "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\n",
      "apiVersion: v1\nkind: Namespace\nmetadata: { name: apps }\n",
      "apiVersion: v1\nkind: Namespace\nmetadata: { name: apps }\n",
    ].join("---\n");
    expect(
      denial(
        apply(env, vr("twice-elsewhere", { manifest, destination: { namespace: "apps" } })),
      ).split("; "),
    ).toEqual([
      "spec.manifest document 2, ConfigMap/a: ConfigMap/apps/a is defined twice: first in document 1",
      "spec.manifest document 4, Namespace/apps: Namespace/apps is defined twice: first in document 3",
    ]);
  });

  test("an empty manifest, unless allowEmpty", () => {
    expect(denial(apply(env, vr("empty", { manifest: "# nothing yet\n" })))).toBe(
      "spec.manifest has no Kubernetes objects (it is empty or only comments): add at least one object, or set " +
        "spec.allowEmpty: true if an empty manifest is meant (it prunes every object this resource applied)",
    );
    const allowed = apply(env, vr("empty", { manifest: "# nothing yet\n", allowEmpty: true }), [
      "--dry-run=server",
    ]);
    expect(allowed.stdout).toContain(
      "vidraresource.infrahub.operators.com/empty created (server dry run)",
    );
  });

  test("a manifest over the size limit", () => {
    const manifest = `${configMap("big")}# ${"x".repeat(1_450_000)}\n`;
    // Client-side apply copies the object into an annotation (256 KiB at most), so a person applies
    // anything this big server-side.
    expect(denial(apply(env, vr("too-big", { manifest }), ["--server-side"]))).toBe(
      `spec.manifest is ${Buffer.byteLength(manifest)} bytes, over the limit of 1400000 bytes (etcd stores at most 1.5 MiB per object): ` +
        "split the artifact into several smaller ones",
    );
  });

  test("destination and interval rules (the CRD's own, checked before the webhook)", () => {
    const found = schemaProblems(
      apply(
        env,
        vr("bad-destination", {
          manifest: configMap("a"),
          destination: { server: "https://kubernetes.default.svc/", namespace: "Apps" },
          reapplyInterval: "250ms",
        }),
      ),
    );
    expect(found.sort()).toEqual([
      'spec.destination.namespace "Apps" is not a valid DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit)',
      'spec.destination.server names this cluster\'s own API service, but only an empty server or exactly "https://kubernetes.default.svc" ' +
        "means the local cluster (any other spelling is treated as a remote cluster that needs a kubeconfig Secret): write it that way or leave server empty",
      'spec.reapplyInterval "250ms" is shorter than 1s: every applied object would be re-applied more than once a second, which is ' +
        'almost certainly a unit slip. Use at least "1s" (e.g. "30s" or "5m"), or "0" to disable',
    ]);
  });
});

test("Vidra's hand-written VidraResource is admitted unchanged, applied, and deleted", async () => {
  // Verbatim from Vidra's docs/docs/guides/advanced-usage.md.
  const sample = `apiVersion: infrahub.operators.com/v1alpha1
kind: VidraResource
metadata:
  name: vidraresource-sample
spec:
  destination:
    server: https://kubernetes.default.svc
    namespace: default
    reconcileOnEvents: true
  manifest: '{"apiVersion": "v1","kind": "Namespace","metadata":{"name": "ns-sample"}}'
`;
  expect(apply(env, sample).stdout).toContain(
    "vidraresource.infrahub.operators.com/vidraresource-sample created",
  );
  const stored = JSON.parse(
    env.kubectl(["get", "vidraresource", "vidraresource-sample", "-o", "json"]),
  );
  expect(stored.spec.manifest).toBe(
    '{"apiVersion": "v1","kind": "Namespace","metadata":{"name": "ns-sample"}}',
  );
  expect(stored.spec.destination).toEqual({
    server: "https://kubernetes.default.svc",
    namespace: "default",
    reconcileOnEvents: true,
  });
  await waitForCondition(env, "vidraresource/vidraresource-sample", "Ready", "True");
  expect(exists(env, "namespace", "ns-sample")).toBe(true);
  // Deleting goes through an UPDATE that removes the finalizer: admission must let it pass.
  env.kubectl(["delete", "vidraresource", "vidraresource-sample", "--timeout=60s"]);
  expect(exists(env, "vidraresource", "vidraresource-sample")).toBe(false);
});

test("updates: the destination cannot move; a new manifest is checked", () => {
  const base = vr("moving", { manifest: configMap("moving") });
  expect(apply(env, base).code).toBe(0);
  expect(
    denial(
      apply(
        env,
        vr("moving", {
          manifest: configMap("moving"),
          destination: { server: "https://127.0.0.1:6443" },
        }),
      ),
    ),
  ).toBe(
    'spec.destination.server cannot change from the local cluster to "https://127.0.0.1:6443": the objects already applied ' +
      "would be left behind on the old cluster. Create a new object for the new cluster instead, and delete this one " +
      "(its objects are deleted or orphaned as its deletionPolicy says)",
  );
  expect(
    denial(apply(env, vr("moving", { manifest: `${configMap("moving")}---\n- not an object\n` }))),
  ).toMatch(/^spec\.manifest document 2: is a sequence, expected a Kubernetes object/);
  expect(
    apply(
      env,
      vr("moving", {
        manifest: `${configMap("moving")}${configMap("moving-2")}`,
        reapplyInterval: "5m",
      }),
    ).stdout,
  ).toContain("vidraresource.infrahub.operators.com/moving configured");
});

test("an artifact that fails these checks keeps the previous version; the sync's status says why", async () => {
  createInfrahubSecret(env);
  env.sim.upsertDefinition({ name: "Checked_Definition", artifactName: "Checked_Manifest" });
  const { id } = env.sim.upsertArtifact("main", {
    definition: "Checked_Definition",
    target: { label: "c-01" },
    content: configMap("c-01"),
  });
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("checked", {
      source: {
        infrahubAPIURL: env.sim.url,
        artefactName: "Checked_Manifest",
        discovery: "GraphQL",
        credentialsSecretRef: { name: "infrahub", namespace: "default" },
      },
      pollInterval: "1h",
    }),
  );
  await waitForCondition(env, `vidraresource/${id}`, "Ready", "True");

  env.sim.setArtifactContent("main", id, `${configMap("c-01")}${configMap("C_02")}`);
  requestSyncNow(env, "checked");
  const s = await eventually(
    async () => {
      const obj = JSON.parse(env.kubectl(["get", "infrahubsync", "checked", "-o", "json"]));
      const ready = condition(obj, "Ready");
      return ready?.status === "False" && ready.message.includes("C_02") ? obj : undefined;
    },
    { timeoutMs: 60_000, what: "the sync to report the denied artifact" },
  );
  // The sync runs the admission's checks before writing, so the status names the artifact's problem.
  expect(condition(s, "Ready")!.message).toContain(
    `artifact ${id} (c-01): document 2, ConfigMap/C_02: metadata.name "C_02" is not a valid DNS-1123 subdomain`,
  );
  const kept = JSON.parse(env.kubectl(["get", "vidraresource", id, "-o", "json"]));
  expect(kept.spec.manifest).toBe(configMap("c-01"));
  expect(exists(env, "configmap", "c-01")).toBe(true);
});

test("kubectl explain documents every field of vidraresource.spec, each with a description", () => {
  const root = vidraResourceCrd.spec.versions[0].schema.openAPIV3Schema as Json;
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
  check("vidraresource.spec", (root.properties as Record<string, Json>).spec);
  expect(seen).toEqual(
    expect.arrayContaining([
      "vidraresource.spec.manifest",
      "vidraresource.spec.reconciledAt",
      "vidraresource.spec.destination.server",
      "vidraresource.spec.destination.kubeconfigSecretRef.name",
    ]),
  );
});
