import { vidraResourceProblems } from "./vidraresource-admission";

type Json = Record<string, unknown>;

const namespace = (name: string) =>
  JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name } });

function vr(spec: Json = {}, name = "vidraresource-sample"): Json {
  return {
    apiVersion: "infrahub.operators.com/v1alpha1",
    kind: "VidraResource",
    metadata: { name },
    spec: { manifest: namespace("ns-a"), ...spec },
  };
}

/** Vidra's hand-written sample (docs/docs/guides/advanced-usage.md). */
const vidraSample = {
  apiVersion: "infrahub.operators.com/v1alpha1",
  kind: "VidraResource",
  metadata: { name: "vidraresource-sample" },
  spec: {
    destination: {
      server: "https://kubernetes.default.svc",
      namespace: "default",
      reconcileOnEvents: true,
    },
    manifest: '{"apiVersion": "v1","kind": "Namespace","metadata":{"name": "ns-sample"}}',
  },
};

describe("accepted", () => {
  test("Vidra's hand-written sample, unchanged", () => {
    expect(vidraResourceProblems(vidraSample)).toEqual([]);
  });

  test.each<[string, Json]>([
    [
      "a YAML manifest",
      {
        manifest:
          '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  port: "8080"\n',
      },
    ],
    ["an empty manifest with allowEmpty", { manifest: "", allowEmpty: true }],
    [
      "a remote destination",
      {
        destination: {
          server: "https://k8s.example.com:6443",
          kubeconfigSecretRef: { name: "k", namespace: "vidra-system" },
        },
      },
    ],
    ["a reapplyInterval", { reapplyInterval: "10m" }],
    ["reapply off", { reapplyInterval: "0" }],
    ["waiting for health", { wait: true, timeout: "2m" }],
    [
      "Vidra's touch field and a checksum",
      { reconciledAt: "2025-04-09T00:00:00Z", checksum: "d41d8cd98f00b204e9800998ecf8427e" },
    ],
  ])("%s", (_, spec) => expect(vidraResourceProblems(vr(spec))).toEqual([]));
});

describe("denied", () => {
  test.each<[string, Json, string | RegExp]>([
    [
      "an unparsable manifest",
      { manifest: `${namespace("a")}\n---\nkind: [` },
      /^spec\.manifest document 2: unexpected end of the stream .* at line \d+, column \d+$/,
    ],
    [
      "an object without kind",
      { manifest: "apiVersion: v1\nmetadata: {name: x}\n" },
      "spec.manifest document 1: missing kind",
    ],
    [
      "an invalid object name",
      { manifest: namespace("Web_NS") },
      /^spec\.manifest document 1, Namespace\/Web_NS: metadata\.name "Web_NS" is not a valid DNS-1123 label/,
    ],
    [
      "an empty manifest",
      { manifest: "" },
      /^spec\.manifest has no Kubernetes objects .* set spec\.allowEmpty: true/,
    ],
    ["no manifest at all", { manifest: undefined }, /^spec\.manifest has no Kubernetes objects/],
    [
      "a manifest over the size limit",
      { manifest: `${namespace("a")}\n#${"x".repeat(1_400_000)}` },
      /^spec\.manifest is \d+ bytes, over the limit of 1400000 bytes/,
    ],
    [
      "a bad destination server",
      { destination: { server: "https://kubernetes.default.svc/" } },
      /^spec\.destination\.server names this cluster's own API service/,
    ],
    [
      "a kubeconfig for the local cluster",
      { destination: { kubeconfigSecretRef: { name: "k", namespace: "n" } } },
      /^spec\.destination\.kubeconfigSecretRef is set but server is empty/,
    ],
    [
      "a bad destination namespace",
      { destination: { namespace: "-x" } },
      /^spec\.destination\.namespace "-x" is not a valid DNS-1123 label/,
    ],
    [
      "a health timeout that is not a duration",
      { wait: true, timeout: "soon" },
      /^spec\.timeout "soon" is not a valid duration/,
    ],
    [
      "a bad reapplyInterval",
      { reapplyInterval: "2d" },
      /^spec\.reapplyInterval "2d" is not a valid duration/,
    ],
    [
      "a negative reapplyInterval",
      { reapplyInterval: "-10m" },
      /^spec\.reapplyInterval "-10m" is negative/,
    ],
    [
      "a sub-second reapplyInterval",
      { reapplyInterval: "0.5s" },
      /^spec\.reapplyInterval "0\.5s" is shorter than 1s: every applied object would be re-applied/,
    ],
  ])("%s", (_, spec, expected) => {
    const s = { ...spec };
    const obj = vr(s);
    if ("manifest" in s && s.manifest === undefined) delete (obj.spec as Json).manifest;
    const found = vidraResourceProblems(obj);
    expect(found).toHaveLength(1);
    if (typeof expected === "string") expect(found[0]).toBe(expected);
    else expect(found[0]).toMatch(expected);
  });

  test("odd shapes never throw", () => {
    for (const o of [
      undefined,
      null,
      1,
      { spec: [] },
      { spec: { manifest: 5, destination: "x", reapplyInterval: {} } },
    ]) {
      expect(() => vidraResourceProblems(o)).not.toThrow();
      expect(() => vidraResourceProblems(o, o)).not.toThrow();
    }
  });
});

describe("updates", () => {
  test("moving to another cluster is denied", () => {
    expect(
      vidraResourceProblems(vr({ destination: { server: "https://b.example.com" } }), vr()),
    ).toEqual([
      'spec.destination.server cannot change from the local cluster to "https://b.example.com": the objects already applied ' +
        "would be left behind on the old cluster. Create a new object for the new cluster instead, and delete this one " +
        "(its objects are deleted or orphaned as its deletionPolicy says)",
    ]);
  });

  test("a new manifest is checked; an unchanged bad one does not block removing the finalizer", () => {
    const broken = vr({ manifest: "kind: [" });
    expect(vidraResourceProblems(vr({ manifest: "kind: [" }), broken)).toEqual([]);
    expect(vidraResourceProblems(vr({ manifest: namespace("Bad") }), vr())[0]).toMatch(
      /^spec\.manifest document 1, Namespace\/Bad: /,
    );
    expect(vidraResourceProblems(vr({ manifest: namespace("ns-b") }), broken)).toEqual([]);
  });
});

describe("tenancy", () => {
  const docs = (...objects: Json[]) => objects.map(o => JSON.stringify(o)).join("\n---\n");
  const cm = (name: string, namespace?: string) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, ...(namespace ? { namespace } : {}) },
  });

  test("the resource's own fence is enforced when the manifest is known", () => {
    const manifest = docs(
      cm("in-team-a", "team-a"),
      cm("defaulted"),
      cm("in-team-b", "team-b"),
      { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "x" } },
      { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "team-a" } },
      // A custom kind's scope is unknown without the cluster: left to the apply-time check.
      { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } },
    );
    expect(
      vidraResourceProblems(
        vr({
          manifest,
          destination: { namespace: "team-a" },
          fence: {
            allowedNamespaces: ["team-a"],
            allowClusterScoped: false,
            deniedKinds: ["Secret"],
          },
        }),
      ),
    ).toEqual([
      'spec.manifest document 3, ConfigMap/in-team-b: namespace "team-b" is outside spec.fence (allowed: "team-a")',
      "spec.manifest document 4, ClusterRole/x: is cluster-scoped, and spec.fence allows no cluster-scoped objects",
      'spec.manifest document 5, Secret/s: kind Secret in group "" (core) is denied by spec.fence',
    ]);
    expect(vidraResourceProblems(vr({ manifest }))).toEqual([]);
  });

  test("ServiceAccount names and fence entries are checked", () => {
    expect(
      vidraResourceProblems(
        vr({
          serviceAccountName: "Applier!",
          serviceAccountNamespace: "Team_A",
          fence: { deniedKinds: ["no kind"] },
        }),
      ),
    ).toEqual([
      expect.stringMatching(/^spec\.serviceAccountName /),
      expect.stringMatching(/^spec\.serviceAccountNamespace /),
      expect.stringMatching(/^spec\.fence\.deniedKinds\[0\] "no kind" is not a kind/),
    ]);
  });
});
