/**
 * The rules that need no code hold without the webhook: on an API server with the CRDs and no
 * admission webhook at all (the admission pods down, or the operator's own writes, which the webhook
 * exempts), `kubectl apply` of a bad InfrahubSync or VidraResource is refused by the API server
 * itself (the CRD's CEL rules), with the webhook's own sentence after the field path. Valid objects,
 * Vidra's samples among them, are admitted.
 */
import { execFileSync } from "node:child_process";
import { dump } from "js-yaml";
import { installCrds } from "../../hack/module-runner";
import { startTestCluster, type TestCluster } from "../support/cluster";
import { schemaProblems, type Json, type KubectlResult } from "./helpers";
import { INVALID_SYNCS, sync } from "./sync-cases";

let cluster: TestCluster;

function kubectl(args: string[], input?: string): KubectlResult {
  try {
    const stdout = execFileSync("kubectl", ["--kubeconfig", cluster.cp.kubeconfigPath, ...args], {
      input,
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
    });
    return { code: 0, stdout, stderr: "" };
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string };
    return { code: e.status ?? 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

const apply = (obj: Json | string, extra: string[] = []) =>
  kubectl(["apply", ...extra, "-f", "-"], typeof obj === "string" ? obj : dump(obj));

const vr = (name: string, spec: Json): Json => ({
  apiVersion: "infrahub.operators.com/v1alpha1",
  kind: "VidraResource",
  metadata: { name },
  spec: { manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\n", ...spec },
});

beforeAll(async () => {
  cluster = await startTestCluster({ name: "crd-validation", controllerManager: false });
  installCrds(cluster.cp.kubeconfigPath);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

test("no admission webhook is registered: whatever refuses below is the API server itself", () => {
  const hooks = kubectl([
    "get",
    "validatingwebhookconfigurations,mutatingwebhookconfigurations",
    "-o",
    "name",
  ]);
  expect(hooks.code).toBe(0);
  expect(hooks.stdout.trim()).toBe("");
});

describe("InfrahubSync: every static rule, refused with the field and the webhook's sentence", () => {
  test.each(INVALID_SYNCS)("%s", (name, source, spec, message) => {
    expect(schemaProblems(apply(sync(name, source, spec)))).toEqual([message]);
    expect(kubectl(["get", "infrahubsync", name]).code).not.toBe(0);
  });

  test("a name too long for the label every VidraResource carries", () => {
    expect(schemaProblems(apply(sync(`web-${"x".repeat(60)}`)))).toEqual([
      "metadata.name is longer than 63 characters: every VidraResource of this sync is labelled with its name " +
        "(infrahub.operators.com/sync) and label values hold at most 63 characters, so choose a shorter name",
    ]);
  });

  test("a URL with credentials is refused without being repeated", () => {
    const r = apply(
      sync("url-creds", { infrahubAPIURL: "https://admin:Sup3rS3cret@localhost:8443" }),
    );
    expect(schemaProblems(r)).toEqual([
      "spec.source.infrahubAPIURL must not contain credentials (user:password@): they would show in logs and status, " +
        "put them in a Secret referenced by spec.source.credentialsSecretRef",
    ]);
    expect(r.stderr).not.toContain("Sup3rS3cret");
  });

  test.each<[string, Json, string]>([
    [
      "infrahubAPIURL",
      { infrahubAPIURL: "https://infra hub.example.com" },
      "spec.source.infrahubAPIURL contains spaces or control characters: remove them (percent-encode them in a path)",
    ],
    [
      "infrahubAPIURL",
      { infrahubAPIURL: "https://a_b.example.com" },
      'spec.source.infrahubAPIURL has an invalid host or port: use a DNS name (letters, digits, "-" and ".") or an IP address, and a port from 1 to 65535, e.g. "https://infrahub.example.com"',
    ],
    [
      "infrahubAPIURL",
      { infrahubAPIURL: "https://infrahub.example.com:0" },
      "spec.source.infrahubAPIURL has port 0: give the server's port (1-65535), or none for the scheme's default",
    ],
    [
      "targetBranch",
      { targetBranch: "feature x" },
      'spec.source.targetBranch "feature x" contains spaces or control characters, which Infrahub branch names never have: remove them',
    ],
    [
      "artefactName",
      { artefactName: " Webserver_Manifest" },
      "spec.source.artefactName has spaces at the start or end, so it would match nothing in Infrahub: remove them",
    ],
    [
      "queryName",
      { queryName: "my/query" },
      'spec.source.queryName "my/query" contains spaces, control characters or "/", which no stored query name used in /api/query/<name> can have: give the name of the stored query (e.g. "ArtifactIDs"), or remove it to use the operator\'s default',
    ],
    [
      "tokenKey",
      { credentialsSecretRef: { name: "c", namespace: "default", tokenKey: "" } },
      "spec.source.credentialsSecretRef.tokenKey is empty: name a data key of the Secret, or remove the field to use the default",
    ],
    [
      "namespace",
      { credentialsSecretRef: { name: "c", namespace: "Default" } },
      'spec.source.credentialsSecretRef.namespace "Default" is not a valid DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit)',
    ],
  ])("more of %s", (_field, source, message) => {
    expect(schemaProblems(apply(sync("more", source)))).toEqual([message]);
  });

  test("several problems are listed at once", () => {
    const found = schemaProblems(
      apply(
        sync("many", { infrahubAPIURL: "localhost", targetDate: "soon" }, { pollInterval: "-1s" }),
      ),
    );
    expect(found.map(p => p.split(" ")[0]).sort()).toEqual([
      "spec.pollInterval",
      "spec.source.infrahubAPIURL",
      "spec.source.targetDate",
    ]);
  });
});

describe("VidraResource: destination and interval rules", () => {
  test.each<[string, Json, string]>([
    [
      "blank-server",
      { destination: { server: " " } },
      "spec.destination.server is blank: leave it empty for the local cluster, or give the remote API server's URL",
    ],
    [
      "ftp-server",
      { destination: { server: "ftp://k8s.example.com" } },
      'spec.destination.server must use http or https, not ftp: e.g. "https://api.cluster.example.com:6443"',
    ],
    [
      "alias-server",
      { destination: { server: "https://kubernetes.default.svc/" } },
      'spec.destination.server names this cluster\'s own API service, but only an empty server or exactly "https://kubernetes.default.svc" means the local cluster (any other spelling is treated as a remote cluster that needs a kubeconfig Secret): write it that way or leave server empty',
    ],
    [
      "bad-namespace",
      { destination: { namespace: "Apps" } },
      'spec.destination.namespace "Apps" is not a valid DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit)',
    ],
    [
      "local-kubeconfig",
      { destination: { kubeconfigSecretRef: { name: "k", namespace: "default" } } },
      "spec.destination.kubeconfigSecretRef is set but server is empty, which means the local cluster (reached with the operator's own identity): set server to the remote cluster's API URL, or remove kubeconfigSecretRef",
    ],
    [
      "subsecond",
      { reapplyInterval: "250ms" },
      'spec.reapplyInterval "250ms" is shorter than 1s: every applied object would be re-applied more than once a second, which is almost certainly a unit slip. Use at least "1s" (e.g. "30s" or "5m"), or "0" to disable',
    ],
    [
      "no-unit",
      { reapplyInterval: "10" },
      'spec.reapplyInterval "10" is not a valid duration (not Go duration syntax): use Go duration syntax such as "30s", "5m" or "1h30m" (units ns, us, ms, s, m, h), or "0" to disable',
    ],
  ])("%s", (name, spec, message) => {
    expect(schemaProblems(apply(vr(name, spec)))).toEqual([message]);
  });
});

describe("valid objects are admitted by the schema", () => {
  test.each<[string, Json, Json]>([
    ["relative-date", { targetDate: "now-2h" }, { pollInterval: "0" }],
    ["short-date", { targetDate: "-2d" }, { pollInterval: "1h30m", reapplyInterval: "1s" }],
    ["rfc3339-offset", { targetDate: "2025-01-01T10:00:00.123+02:00" }, {}],
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
      "secrets",
      {
        credentialsSecretRef: { name: "infrahub", namespace: "default", tokenKey: "api-token" },
        tls: { caSecretRef: { name: "ca", namespace: "default", key: "ca.pem" } },
      },
      {},
    ],
    ["url-forms", { infrahubAPIURL: "HTTPS://[::1]:8443/infrahub/" }, {}],
    ["idn-host", { infrahubAPIURL: "https://bücher.example" }, {}],
    [
      "remote",
      {},
      {
        destination: {
          server: "https://kubernetes.default.svc:443",
          namespace: "apps",
          reconcileOnEvents: true,
        },
      },
    ],
    [
      "remote-kubeconfig",
      {},
      {
        destination: {
          server: "https://10.0.0.1:6443",
          kubeconfigSecretRef: { name: "k", namespace: "default", key: "config" },
        },
      },
    ],
  ])("%s", (name, source, spec) => {
    const r = apply(sync(name, source, spec), ["--dry-run=server"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  test("Vidra's documented samples", () => {
    const samples = [
      `apiVersion: infrahub.operators.com/v1alpha1
kind: InfrahubSync
metadata:
  name: sync-test-webserver
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
`,
      `apiVersion: infrahub.operators.com/v1alpha1
kind: VidraResource
metadata:
  name: vidraresource-sample
spec:
  destination:
    server: https://kubernetes.default.svc
    namespace: default
    reconcileOnEvents: true
  manifest: '{"apiVersion": "v1","kind": "Namespace","metadata":{"name": "ns-sample"}}'
`,
    ];
    for (const s of samples) {
      const r = apply(s, ["--dry-run=server"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    }
  });
});
