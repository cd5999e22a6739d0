import { ManifestError } from "./manifest-error";
import { parseManifest } from "./parse";
import type { KubeObject, ParsedObject, ResourceScope } from "./types";
import { formatRef, refKey, validateObjects, ValidateOptions } from "./validate";

const SCOPES: Record<string, ResourceScope> = {
  "v1/ConfigMap": "Namespaced",
  "v1/Secret": "Namespaced",
  "v1/Service": "Namespaced",
  "v1/Namespace": "Cluster",
  "apps/v1/Deployment": "Namespaced",
  "apps/v1beta2/Deployment": "Namespaced",
  "rbac.authorization.k8s.io/v1/ClusterRole": "Cluster",
  "rbac.authorization.k8s.io/v1/RoleBinding": "Namespaced",
  "example.com/v1alpha1/Widget": "Namespaced",
};
const scopeOf = (apiVersion: string, kind: string): ResourceScope | undefined =>
  SCOPES[`${apiVersion}/${kind}`];

function obj(
  apiVersion: string,
  kind: string,
  metadata: Record<string, unknown>,
  rest: Record<string, unknown> = {},
): KubeObject {
  return { apiVersion, kind, metadata, ...rest };
}

function parsed(...objects: KubeObject[]): ParsedObject[] {
  return objects.map((object, i) => ({ document: i + 1, object }));
}

function problems(objs: ParsedObject[], opts: Partial<ValidateOptions> = {}): string[] {
  try {
    validateObjects(objs, { scopeOf, ...opts });
  } catch (err) {
    if (err instanceof ManifestError) return err.problems;
    throw err;
  }
  throw new Error("expected validateObjects to throw");
}

describe("validateObjects: normalising", () => {
  it('returns refs and defaults the namespace of namespaced objects to "default"', () => {
    const { objects, warnings } = validateObjects(
      parsed(
        obj("apps/v1", "Deployment", { name: "web" }),
        obj("v1", "Namespace", { name: "team-a" }),
      ),
      { scopeOf },
    );
    expect(warnings).toEqual([]);
    expect(objects.map(o => o.ref)).toEqual([
      {
        apiVersion: "apps/v1",
        group: "apps",
        version: "v1",
        kind: "Deployment",
        namespace: "default",
        name: "web",
      },
      { apiVersion: "v1", group: "", version: "v1", kind: "Namespace", name: "team-a" },
    ]);
    expect(objects[0].object.metadata.namespace).toBe("default");
    expect(objects[0].source).toEqual({ document: 1 });
  });

  it("uses defaultNamespace when given and keeps an explicit namespace", () => {
    const { objects } = validateObjects(
      parsed(
        obj("v1", "ConfigMap", { name: "a" }),
        obj("v1", "ConfigMap", { name: "b", namespace: "other" }),
      ),
      { scopeOf, defaultNamespace: "team-a" },
    );
    expect(objects.map(o => o.ref.namespace)).toEqual(["team-a", "other"]);
  });

  it("drops the namespace of cluster-scoped objects with a warning, without changing the input", () => {
    const input = parsed(
      obj("rbac.authorization.k8s.io/v1", "ClusterRole", {
        name: "system:viewer",
        namespace: "team-a",
      }),
    );
    const { objects, warnings } = validateObjects(input, { scopeOf });
    expect(objects[0].ref.namespace).toBeUndefined();
    expect("namespace" in objects[0].object.metadata).toBe(false);
    expect(input[0].object.metadata.namespace).toBe("team-a");
    expect(warnings).toEqual([
      'document 1, ClusterRole/system:viewer: is cluster-scoped, so its metadata.namespace "team-a" is ignored',
    ]);
  });

  it("keeps List item positions in sources and messages", () => {
    const objs = parseManifest(
      "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: B}}\n",
    );
    expect(problems(objs)).toEqual([
      'document 1 (item 2 of List), ConfigMap/B: metadata.name "B" is not a valid DNS-1123 subdomain (lowercase letters, digits, "-" and ".", starting and ending with a letter or digit)',
    ]);
  });
});

describe("validateObjects: problems", () => {
  it("checks apiVersion and kind", () => {
    expect(
      problems(
        parsed(
          obj("apps/v1/x", "Deployment", { name: "a" }),
          obj("Apps/v1", "Deployment", { name: "b" }),
          obj("/v1", "ConfigMap", { name: "c" }),
          obj("v1beta", "ConfigMap", { name: "d" }),
          obj("v1", "Config Map", { name: "e" }),
        ),
      ),
    ).toEqual([
      'document 1, Deployment/a: apiVersion "apps/v1/x" is invalid: use "v1" or "<group>/<version>" such as "apps/v1" (versions look like v1, v1beta1, v2alpha3)',
      'document 2, Deployment/b: apiVersion group "Apps" is not a valid DNS-1123 subdomain (lowercase letters, digits, "-" and ".", starting and ending with a letter or digit)',
      'document 3, ConfigMap/c: apiVersion "/v1" is invalid: use "v1" or "<group>/<version>" such as "apps/v1" (versions look like v1, v1beta1, v2alpha3)',
      'document 4, ConfigMap/d: apiVersion "v1beta" is invalid: use "v1" or "<group>/<version>" such as "apps/v1" (versions look like v1, v1beta1, v2alpha3)',
      'document 5, Config Map/e: kind "Config Map" is invalid: use a name such as "Deployment" (letters and digits only)',
    ]);
  });

  it("checks names by kind: subdomains, labels for Namespaces, DNS-1035 for Services, path segments for RBAC", () => {
    const ok = parsed(
      obj("v1", "ConfigMap", { name: "a.b-c" }),
      obj("v1", "Namespace", { name: "team-a" }),
      obj("v1", "Service", { name: "web" }),
      obj("rbac.authorization.k8s.io/v1", "ClusterRole", { name: "system:aggregate-to-edit" }),
      obj("rbac.authorization.k8s.io/v1", "RoleBinding", { name: "Admins:Team A" }),
    );
    expect(validateObjects(ok, { scopeOf }).objects).toHaveLength(5);
    expect(
      problems(
        parsed(
          obj("v1", "ConfigMap", { name: "a_b" }),
          obj("v1", "Namespace", { name: "team.a" }),
          obj("v1", "Service", { name: "1web" }),
          obj("rbac.authorization.k8s.io/v1", "ClusterRole", { name: "a/b" }),
          obj("v1", "ConfigMap", { name: "x".repeat(254) }),
          obj("v1", "ConfigMap", { name: 42 }),
          obj("v1", "ConfigMap", {}),
          obj("v1", "ConfigMap", { generateName: "web-" }),
        ),
      ),
    ).toEqual([
      'document 1, ConfigMap/a_b: metadata.name "a_b" is not a valid DNS-1123 subdomain (lowercase letters, digits, "-" and ".", starting and ending with a letter or digit)',
      'document 2, Namespace/team.a: metadata.name "team.a" is not a valid DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit)',
      'document 3, Service/1web: metadata.name "1web" is not a valid DNS-1035 label (lowercase letters, digits and "-", starting with a letter and ending with a letter or digit)',
      'document 4, ClusterRole/a/b: metadata.name "a/b" must not contain "/" or "%"',
      `document 5, ConfigMap/${"x".repeat(254)}: metadata.name "${"x".repeat(40)}…" is longer than 253 characters`,
      "document 6, ConfigMap: metadata.name must be a string, not a number (quote it in YAML)",
      "document 7, ConfigMap: metadata.name is required",
      "document 8, ConfigMap: metadata.generateName is not supported: the operator must know each object's name to track and prune it; set metadata.name",
      "document 8, ConfigMap: metadata.name is required",
    ]);
  });

  it("checks namespaces, labels and annotations", () => {
    expect(
      problems(
        parsed(
          obj("v1", "ConfigMap", { name: "a", namespace: "Team_A" }),
          obj("v1", "ConfigMap", {
            name: "b",
            labels: {
              "app.kubernetes.io/name": "web",
              "bad key": "x",
              "a/b/c": "x",
              "-x": "y",
              version: 1.5,
              long: "v".repeat(64),
            },
          }),
          obj("v1", "ConfigMap", {
            name: "c",
            labels: { app: "has space" },
            annotations: { "x.io/": "v", n: 3 },
          }),
          obj("v1", "ConfigMap", { name: "d", labels: ["app"] }),
          obj("v1", "ConfigMap", { name: "e", annotations: { big: "x".repeat(256 * 1024) } }),
        ),
      ),
    ).toEqual([
      'document 1, ConfigMap/a: metadata.namespace "Team_A" is not a valid DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit)',
      'document 2, ConfigMap/b: label key "bad key" is invalid (letters, digits, "-", "_" and ".", starting and ending with a letter or digit)',
      'document 2, ConfigMap/b: label key "a/b/c" has more than one "/"',
      'document 2, ConfigMap/b: label key "-x" is invalid (letters, digits, "-", "_" and ".", starting and ending with a letter or digit)',
      'document 2, ConfigMap/b: label "version" must have a string value, not a number (quote it in YAML)',
      `document 2, ConfigMap/b: label "long" value "${"v".repeat(40)}…" is longer than 63 characters`,
      'document 3, ConfigMap/c: label "app" value "has space" is invalid (letters, digits, "-", "_" and ".", starting and ending with a letter or digit)',
      'document 3, ConfigMap/c: annotation key "x.io/" has an empty name',
      'document 3, ConfigMap/c: annotation "n" must have a string value, not a number (quote it in YAML)',
      "document 4, ConfigMap/d: metadata.labels must be a mapping",
      "document 5, ConfigMap/e: annotations total 262147 bytes, over Kubernetes' limit of 262144 (256 KiB)",
    ]);
  });

  it("never quotes annotation values", () => {
    const secret = "password=hunter2 $%^";
    const out = problems(
      parsed(obj("v1", "ConfigMap", { name: "a", annotations: { "bad key!": secret } })),
    );
    expect(out.join("\n")).not.toContain(secret);
  });

  it("reports kinds the destination does not serve, and keeps checking other objects", () => {
    expect(
      problems(
        parsed(
          obj("example.com/v1", "Widget", { name: "w" }),
          obj("v1", "ConfigMap", { name: "B" }),
        ),
      ),
    ).toEqual([
      "document 1, Widget/w: no resource kind Widget in apiVersion example.com/v1 on the destination cluster",
      'document 2, ConfigMap/B: metadata.name "B" is not a valid DNS-1123 subdomain (lowercase letters, digits, "-" and ".", starting and ending with a letter or digit)',
    ]);
  });

  it("reports an unknown kind even when the object also has other problems", () => {
    expect(problems(parsed(obj("example.com/v1", "Widget", { name: "W" })))).toHaveLength(2);
  });

  it("enforces allowed namespaces, cluster-scoped policy and denied kinds", () => {
    const objs = parsed(
      obj("v1", "ConfigMap", { name: "a", namespace: "kube-system" }),
      obj("v1", "ConfigMap", { name: "b" }),
      obj("v1", "Namespace", { name: "c" }),
      obj("v1", "Secret", { name: "d", namespace: "team-a" }),
      obj("example.com/v1alpha1", "Widget", { name: "e", namespace: "team-a" }),
    );
    expect(
      problems(objs, {
        allowedNamespaces: ["team-a", "team-b"],
        allowClusterScoped: false,
        deniedKinds: [
          { group: "", kind: "Secret" },
          { group: "example.com", kind: "Widget" },
        ],
      }),
    ).toEqual([
      `document 1, ConfigMap/a: namespace "kube-system" is outside the operator's configuration (allowed: "team-a", "team-b")`,
      `document 2, ConfigMap/b: namespace "default" is outside the operator's configuration (allowed: "team-a", "team-b")`,
      "document 3, Namespace/c: is cluster-scoped, and the operator's configuration allows no cluster-scoped objects",
      `document 4, Secret/d: kind Secret in group "" (core) is denied by the operator's configuration`,
      `document 5, Widget/e: kind Widget in group "example.com" is denied by the operator's configuration`,
    ]);
  });

  it('says who set the fence, matches denied kinds in any group with "*", and tells fence violations apart', () => {
    const fence = {
      allowClusterScoped: false,
      deniedKinds: [{ group: "*", kind: "Widget" }],
      fenceOrigin: "spec.fence",
    };
    const outside = parsed(
      obj("example.com/v1alpha1", "Widget", { name: "e", namespace: "team-a" }),
      obj("v1", "Namespace", { name: "c" }),
    );
    let err: unknown;
    try {
      validateObjects(outside, { scopeOf, ...fence });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as ManifestError).reason).toBe("FenceViolation");
    expect((err as ManifestError).problems).toEqual([
      'document 1, Widget/e: kind Widget in group "example.com" is denied by spec.fence',
      "document 2, Namespace/c: is cluster-scoped, and spec.fence allows no cluster-scoped objects",
    ]);
    // A syntax problem among them: the manifest is invalid first of all.
    const mixed = parsed(obj("v1", "Namespace", { name: "c" }), obj("v1", "ConfigMap", {}));
    expect(() => validateObjects(mixed, { scopeOf, ...fence })).toThrow(
      expect.objectContaining({ reason: "InvalidManifest" }),
    );
  });

  it("reports duplicates by group, kind, namespace and name, whatever the version", () => {
    const objs: ParsedObject[] = [
      { document: 1, object: obj("apps/v1", "Deployment", { name: "web" }) },
      {
        document: 2,
        object: obj("apps/v1beta2", "Deployment", { name: "web", namespace: "default" }),
      },
      {
        document: 3,
        item: 2,
        object: obj("v1", "ConfigMap", { name: "web", namespace: "default" }),
      },
      { document: 4, object: obj("v1", "ConfigMap", { name: "web" }) },
      { document: 5, object: obj("v1", "ConfigMap", { name: "web", namespace: "other" }) },
    ];
    expect(problems(objs)).toEqual([
      "document 2, Deployment/web: Deployment/default/web is defined twice: first in document 1",
      "document 4, ConfigMap/web: ConfigMap/default/web is defined twice: first in document 3 (item 2 of List)",
    ]);
  });

  it("reports an invalid default namespace once", () => {
    expect(
      problems(parsed(obj("v1", "ConfigMap", { name: "a" })), { defaultNamespace: "Bad_NS" }),
    ).toEqual([
      'the default namespace is invalid: "Bad_NS" is not a valid DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit)',
    ]);
  });

  it("throws one non-retryable ManifestError for all problems", () => {
    let caught: unknown;
    try {
      validateObjects(
        parsed(obj("v1", "ConfigMap", { name: "A" }), obj("v1", "ConfigMap", { name: "B" })),
        { scopeOf },
      );
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ManifestError);
    const err = caught as ManifestError;
    expect(err.reason).toBe("InvalidManifest");
    expect(err.retryable).toBe(false);
    expect(err.document).toBe(1);
    expect(err.message).toMatch(
      /^2 problems in the manifest: document 1, ConfigMap\/A: .*; document 2, ConfigMap\/B: /,
    );
  });
});

describe("refKey and formatRef", () => {
  it("builds stable ids and readable names", () => {
    const deploy = {
      apiVersion: "apps/v1",
      group: "apps",
      version: "v1",
      kind: "Deployment",
      namespace: "web",
      name: "nginx",
    };
    const ns = { apiVersion: "v1", group: "", version: "v1", kind: "Namespace", name: "web" };
    expect(refKey(deploy)).toBe("apps/Deployment/web/nginx");
    expect(refKey(ns)).toBe("/Namespace//web");
    expect(formatRef(deploy)).toBe("Deployment/web/nginx");
    expect(formatRef(ns)).toBe("Namespace/web");
  });
});
