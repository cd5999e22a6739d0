import { configFromConfigMaps, DEFAULT_TENANCY, LiveOperatorConfig } from "../sync/operator-config";
import { fenceOfSpec, fenceSpecProblems, narrowFence, parseKindPattern, type Fence } from "./fence";
import { applyIdentity, homeNamespace, ServiceAccountRequiredError } from "./identity";
import { checkSecretRefNamespace, secretScope } from "./secret-refs";
import { protectedNamespaces } from "./operator-namespace";

const cm = (namespace: string, data: Record<string, string>, created = "2026-01-01T00:00:00Z") => ({
  metadata: { name: "vidra", namespace, uid: `${namespace}-uid`, creationTimestamp: created },
  data,
});

describe("fences", () => {
  test("kind patterns: a bare kind matches every group; Kind.group one group", () => {
    expect(parseKindPattern("ClusterRoleBinding")).toEqual({
      group: "*",
      kind: "ClusterRoleBinding",
    });
    expect(parseKindPattern("Ingress.networking.k8s.io")).toEqual({
      group: "networking.k8s.io",
      kind: "Ingress",
    });
    expect(parseKindPattern("cluster role")).toMatch(/is not a kind/);
    expect(parseKindPattern("Ingress.Networking")).toMatch(/no valid API group/);
  });

  test("a resource's fence only narrows the operator's", () => {
    const global: Fence = {
      allowedNamespaces: ["team-a", "team-b"],
      allowClusterScoped: true,
      deniedKinds: [{ group: "*", kind: "ClusterRoleBinding" }],
    };
    const own = fenceOfSpec({
      allowedNamespaces: ["team-a", "team-c"],
      allowClusterScoped: false,
      deniedKinds: ["Secret", "ClusterRoleBinding"],
    });
    expect(narrowFence(global, own)).toEqual({
      allowedNamespaces: ["team-a"],
      allowClusterScoped: false,
      deniedKinds: [
        { group: "*", kind: "ClusterRoleBinding" },
        { group: "*", kind: "Secret" },
      ],
    });
    // Widening is impossible: allowClusterScoped true cannot undo the operator's false, and a
    // resource that lists namespaces the operator does not allow gets none of them.
    const closed: Fence = {
      allowedNamespaces: ["team-a"],
      allowClusterScoped: false,
      deniedKinds: [],
    };
    expect(
      narrowFence(closed, fenceOfSpec({ allowedNamespaces: ["team-b"], allowClusterScoped: true })),
    ).toEqual({ allowedNamespaces: [], allowClusterScoped: false, deniedKinds: [] });
    expect(narrowFence(closed, undefined)).toBe(closed);
  });

  test("admission names each bad entry of spec.fence", () => {
    expect(
      fenceSpecProblems({
        allowedNamespaces: ["ok", "Team_A"],
        deniedKinds: ["Secret", "no such"],
      }),
    ).toEqual([
      ["spec.fence.allowedNamespaces[1]", expect.stringContaining("Team_A")],
      ["spec.fence.deniedKinds[1]", expect.stringContaining("is not a kind")],
    ]);
  });
});

describe("identity", () => {
  const tenancy = { ...DEFAULT_TENANCY };

  test("a named ServiceAccount in serviceAccountNamespace, else destination.namespace, else default", () => {
    expect(
      applyIdentity(
        {
          serviceAccountName: "applier",
          serviceAccountNamespace: "team-a",
          destination: { namespace: "x" },
        },
        tenancy,
      ),
    ).toEqual({
      serviceAccount: { namespace: "team-a", name: "applier" },
      user: "system:serviceaccount:team-a:applier",
      description: "ServiceAccount team-a/applier",
    });
    expect(
      applyIdentity(
        { serviceAccountName: "applier", destination: { namespace: "team-b" } },
        tenancy,
      ).user,
    ).toBe("system:serviceaccount:team-b:applier");
    expect(applyIdentity({ serviceAccountName: "applier" }, tenancy).user).toBe(
      "system:serviceaccount:default:applier",
    );
    expect(homeNamespace(undefined)).toBe("default");
  });

  test("the operator's default applies locally only; required means refused without one", () => {
    const withDefault = { ...tenancy, defaultServiceAccount: "vidra-applier" };
    expect(applyIdentity({ destination: { namespace: "team-a" } }, withDefault).user).toBe(
      "system:serviceaccount:team-a:vidra-applier",
    );
    const remote = { destination: { server: "https://remote.example:6443", namespace: "team-a" } };
    expect(applyIdentity(remote, withDefault).user).toBeUndefined();
    expect(applyIdentity({ ...remote, serviceAccountName: "x" }, withDefault).user).toBe(
      "system:serviceaccount:team-a:x",
    );
    const required = { ...tenancy, requireServiceAccount: true };
    expect(() => applyIdentity({}, required)).toThrow(ServiceAccountRequiredError);
    expect(applyIdentity(remote, required).user).toBeUndefined();
    expect(applyIdentity({}, tenancy).user).toBeUndefined();
  });
});

describe("Secret references", () => {
  test("stay in the resource's namespace only when cross-namespace references are off", () => {
    const spec = { destination: { namespace: "team-a" } };
    expect(() =>
      checkSecretRefNamespace(secretScope(spec, true), "f", { namespace: "team-b" }),
    ).not.toThrow();
    const scope = secretScope(spec, false);
    expect(scope).toEqual({ namespace: "team-a" });
    expect(() => checkSecretRefNamespace(scope, "f", { namespace: "team-a" })).not.toThrow();
    expect(() => checkSecretRefNamespace(scope, "spec.x", { namespace: "team-b" })).toThrow(
      expect.objectContaining({
        reason: "CrossNamespaceSecretRef",
        retryable: false,
        message: expect.stringContaining("spec.x points to a Secret in namespace team-b"),
      }),
    );
  });
});

describe("configuration", () => {
  test("tenancy keys from the operator's ConfigMap", () => {
    const { config, warnings } = configFromConfigMaps(
      [
        cm("pepr-system", {
          allowedNamespaces: "team-a, team-b\nBad_NS",
          allowClusterScoped: "false",
          deniedKinds: "ClusterRoleBinding, Ingress.networking.k8s.io, not a kind",
          defaultServiceAccount: "vidra-applier",
          requireServiceAccount: "true",
          allowCrossNamespaceSecretRefs: "false",
        }),
      ],
      undefined,
      { operatorNamespace: "pepr-system" },
    );
    expect(config.tenancy).toEqual({
      fence: {
        allowedNamespaces: ["team-a", "team-b"],
        allowClusterScoped: false,
        deniedKinds: [
          { group: "*", kind: "ClusterRoleBinding" },
          { group: "networking.k8s.io", kind: "Ingress" },
        ],
      },
      defaultServiceAccount: "vidra-applier",
      requireServiceAccount: true,
      allowCrossNamespaceSecretRefs: false,
    });
    expect(warnings.join("\n")).toMatch(/Bad_NS/);
    expect(warnings.join("\n")).toMatch(/"not a kind" is not a kind/);
  });

  test("tenancy keys elsewhere never count, even with Vidra's any-namespace lookup", () => {
    const { config } = configFromConfigMaps(
      [
        cm("pepr-system", { allowClusterScoped: "false" }, "2026-01-01T00:00:00Z"),
        cm(
          "team-a",
          { allowClusterScoped: "true", requeueSyncAfter: "5m", defaultServiceAccount: "x" },
          "2026-02-01T00:00:00Z",
        ),
      ],
      undefined,
      { operatorNamespace: "pepr-system" },
    );
    expect(config.requeueSyncAfterMs).toBe(300_000);
    expect(config.tenancy.fence.allowClusterScoped).toBe(false);
    expect(config.tenancy.defaultServiceAccount).toBeUndefined();
  });

  test("the live configuration ignores ConfigMaps outside the operator's namespace unless switched", () => {
    const strict = new LiveOperatorConfig(undefined, { operatorNamespace: "pepr-system" });
    strict.upsert(cm("default", { requeueSyncAfter: "5m" }));
    expect(strict.get().requeueSyncAfterMs).toBe(60_000);
    strict.upsert(cm("pepr-system", { requeueSyncAfter: "7m" }));
    expect(strict.get().requeueSyncAfterMs).toBe(420_000);
    const compat = new LiveOperatorConfig(undefined, {
      operatorNamespace: "pepr-system",
      anyNamespace: true,
    });
    compat.upsert(cm("default", { requeueSyncAfter: "5m" }));
    expect(compat.get().requeueSyncAfterMs).toBe(300_000);
  });

  test("adoption is never allowed in the system namespaces and the operator's own", () => {
    expect([...protectedNamespaces("ops")].sort()).toEqual([
      "kube-node-lease",
      "kube-public",
      "kube-system",
      "ops",
    ]);
  });
});
