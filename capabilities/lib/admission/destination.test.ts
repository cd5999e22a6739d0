import { checkDestination, checkDestinationUnchanged } from "./destination";
import { Problems } from "./problems";

function check(destination: unknown): string[] {
  const p = new Problems();
  checkDestination(p, "spec.destination", destination);
  return p.items;
}

function change(before: unknown, after: unknown): string[] {
  const p = new Problems();
  checkDestinationUnchanged(p, "spec.destination", before, after);
  return p.items;
}

const ref = { name: "remote-kubeconfig", namespace: "vidra-system" };

describe("checkDestination", () => {
  test.each([
    undefined,
    {},
    { server: "", namespace: "", reconcileOnEvents: true },
    { server: "https://kubernetes.default.svc", namespace: "default" },
    {
      server: "https://k8s-cldop-test-0.network.garden:6443",
      namespace: "default",
      reconcileOnEvents: true,
    },
    { server: "https://rancher.example.com/k8s/clusters/c-abc12", kubeconfigSecretRef: ref },
    { server: "http://127.0.0.1:8001", kubeconfigSecretRef: { ...ref, key: "config" } },
  ])("accepts %j", d => expect(check(d)).toEqual([]));

  test("a non-object is refused", () => {
    expect(check("https://a")).toEqual([
      "spec.destination must be an object (server, namespace, reconcileOnEvents, kubeconfigSecretRef)",
    ]);
  });

  test("server: a URL of an API server", () => {
    expect(check({ server: "k8s.example.com:6443" })).toEqual([
      'spec.destination.server must be an absolute URL starting with http:// or https://, e.g. "https://api.cluster.example.com:6443"',
    ]);
    expect(check({ server: "https://admin:pw@k8s.example.com" })).toEqual([
      "spec.destination.server must not contain credentials (user:password@): they would show in logs and status, " +
        "put them in the kubeconfig Secret referenced by kubeconfigSecretRef",
    ]);
    expect(check({ server: "https://k8s.example.com:6443?x" })[0]).toMatch(
      /^spec\.destination\.server must not have a query string/,
    );
    expect(check({ server: "https://k8s_1.example.com" })[0]).toMatch(
      /^spec\.destination\.server has an invalid host/,
    );
  });

  test("server: blank is not empty", () => {
    expect(check({ server: "  " })).toEqual([
      "spec.destination.server is blank: leave it empty for the local cluster, or give the remote API server's URL",
    ]);
  });

  test("server: the in-cluster service in a spelling that would not count as local", () => {
    expect(check({ server: "https://kubernetes.default.svc.cluster.local:443" })[0]).toMatch(
      /^spec\.destination\.server names this cluster's own API service, but only an empty server or exactly "https:\/\/kubernetes\.default\.svc" means the local cluster/,
    );
  });

  test("namespace: a DNS-1123 label", () => {
    expect(check({ namespace: "Web_Apps" })).toEqual([
      'spec.destination.namespace "Web_Apps" is not a valid DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit)',
    ]);
  });

  test("kubeconfigSecretRef: a valid reference, and only for a remote server", () => {
    expect(check({ server: "https://k.example.com", kubeconfigSecretRef: { name: "k" } })).toEqual([
      "spec.destination.kubeconfigSecretRef.namespace is required: this object is cluster-scoped, so the Secret's namespace must be given",
    ]);
    const local =
      "spec.destination.kubeconfigSecretRef is set but server is empty, which means the local cluster (reached with the " +
      "operator's own identity): set server to the remote cluster's API URL, or remove kubeconfigSecretRef";
    expect(check({ kubeconfigSecretRef: ref })).toEqual([local]);
    expect(check({ server: "https://kubernetes.default.svc", kubeconfigSecretRef: ref })).toEqual([
      local,
    ]);
  });
});

describe("checkDestinationUnchanged", () => {
  test.each([
    [undefined, undefined],
    [{}, { server: "" }],
    [{ server: "" }, { server: "https://kubernetes.default.svc" }],
    [{ server: "https://kubernetes.default.svc:443" }, undefined],
    [
      { server: "https://k8s.example.com:6443" },
      { server: "https://k8s.example.com:6443/", namespace: "other" },
    ],
    [{ server: "https://K8s.Example.com:443" }, { server: "https://k8s.example.com" }],
    [
      { server: "https://a.example.com", kubeconfigSecretRef: ref },
      { server: "https://a.example.com", kubeconfigSecretRef: { ...ref, name: "rotated" } },
    ],
  ])("allows %j → %j", (a, b) => expect(change(a, b)).toEqual([]));

  test("moving to another cluster is refused, with what to do instead", () => {
    expect(
      change({ server: "https://a.example.com:6443" }, { server: "https://b.example.com:6443" }),
    ).toEqual([
      'spec.destination.server cannot change from "https://a.example.com:6443" to "https://b.example.com:6443": the ' +
        "objects already applied would be left behind on the old cluster. Create a new object for the new cluster " +
        "instead, and delete this one (its objects are deleted or orphaned as its deletionPolicy says)",
    ]);
    expect(change(undefined, { server: "https://b.example.com" })[0]).toMatch(
      /cannot change from the local cluster to "https:\/\/b\.example\.com"/,
    );
    expect(change({ server: "https://a.example.com" }, {})[0]).toMatch(
      /cannot change from "https:\/\/a\.example\.com" to the local cluster/,
    );
  });

  test("never shows credentials a stored server may carry", () => {
    const [m] = change(
      { server: "https://admin:s3cr3t@a.example.com" },
      { server: "https://b.example.com" },
    );
    expect(m).toContain('from "https://a.example.com"');
    expect(m).not.toContain("s3cr3t");
  });
});
