import { loadPreset, presetNames } from "./applied-kinds-file";
import {
  APPLY_VERBS,
  mergeRules,
  operatorRules,
  rbacRules,
  ruleDiff,
  ruleText,
  type PolicyRule,
} from "./policy-rules";

/**
 * Pepr 1.1.4's scoped ClusterRole (pepr/src/lib/assets/rbac.ts `clusterRole`, helpers.ts
 * `createRBACMap`): custom rules first, then one rule per binding kind, deduplicated by
 * `${apiGroups}/${resources}` with verbs unioned into the first rule of a key.
 */
function peprClusterRole(custom: PolicyRule[]): PolicyRule[] {
  const scoped: PolicyRule[] = [
    {
      apiGroups: ["pepr.dev"],
      resources: ["peprstores"],
      verbs: ["create", "get", "patch", "watch"],
    },
    {
      apiGroups: ["apiextensions.k8s.io"],
      resources: ["customresourcedefinitions"],
      verbs: ["patch", "create"],
    },
    // This module's Watch bindings: InfrahubSync, VidraResource, ConfigMap.
    { apiGroups: ["infrahub.operators.com"], resources: ["infrahubsyncs"], verbs: ["watch"] },
    { apiGroups: ["infrahub.operators.com"], resources: ["vidraresources"], verbs: ["watch"] },
    { apiGroups: [""], resources: ["configmaps"], verbs: ["watch"] },
  ];
  const deduper: Record<string, PolicyRule> = {};
  for (const rule of [...custom, ...scoped]) {
    const key = `${rule.apiGroups}/${rule.resources}`;
    if (deduper[key]) deduper[key].verbs = [...new Set([...deduper[key].verbs, ...rule.verbs])];
    else deduper[key] = { ...rule, verbs: rule.verbs };
  }
  return Object.values(deduper);
}

const UUID = "vidra-pepr";
const strings = (rules: PolicyRule[]) =>
  rules.flatMap(r => [...r.apiGroups, ...r.resources, ...r.verbs, ...(r.resourceNames ?? [])]);

describe("operatorRules", () => {
  const rules = operatorRules(UUID);

  it("has one group and one resource per rule, each key once", () => {
    expect(rules.every(r => r.apiGroups.length === 1 && r.resources.length === 1)).toBe(true);
    const keys = rules.map(r => `${r.apiGroups[0]}/${r.resources[0]}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("limits CRD and Pepr store access by name", () => {
    const crd = rules.find(r => r.resources[0] === "customresourcedefinitions")!;
    expect(crd.resourceNames).toEqual([
      "infrahubsyncs.infrahub.operators.com",
      "vidraresources.infrahub.operators.com",
      "peprstores.pepr.dev",
    ]);
    expect(crd.verbs).toEqual(["get", "create", "update", "patch"]);
    const store = rules.find(r => r.resources[0] === "peprstores")!;
    expect(store.resourceNames).toEqual(["pepr-vidra-pepr-store", "pepr-vidra-pepr-schedule"]);
  });

  it("may read, create and renew Leases (leader election), not list or delete them", () => {
    expect(rules.find(r => r.resources[0] === "leases")).toEqual({
      apiGroups: ["coordination.k8s.io"],
      resources: ["leases"],
      verbs: ["get", "create", "update"],
    });
  });

  it("only reads Secrets and ConfigMaps", () => {
    for (const resource of ["secrets", "configmaps"]) {
      expect(rules.find(r => r.resources[0] === resource)!.verbs).toEqual(["get", "list", "watch"]);
    }
  });
});

describe("rbacRules", () => {
  it("gives applied kinds full apply rights and folds them into the operator's rules", () => {
    const rules = rbacRules(UUID, [{ apiGroup: "", resources: ["secrets", "services"] }]);
    expect(rules.filter(r => r.resources[0] === "secrets")).toEqual([
      { apiGroups: [""], resources: ["secrets"], verbs: APPLY_VERBS },
    ]);
    expect(rules.at(-1)).toEqual({ apiGroups: [""], resources: ["services"], verbs: APPLY_VERBS });
    expect(rules).toHaveLength(operatorRules(UUID).length + 1);
  });

  it("lets an unrestricted CRD grant replace the name-limited one", () => {
    const rules = rbacRules(UUID, loadPreset("crds").kinds);
    const crd = rules.filter(r => r.resources[0] === "customresourcedefinitions");
    expect(crd).toEqual([
      {
        apiGroups: ["apiextensions.k8s.io"],
        resources: ["customresourcedefinitions"],
        verbs: APPLY_VERBS,
      },
    ]);
  });

  it("adds extra verbs (bind, escalate) where a preset asks for them", () => {
    const rules = rbacRules(UUID, loadPreset("rbac").kinds);
    expect(rules.find(r => r.resources[0] === "clusterroles")!.verbs).toEqual([
      ...APPLY_VERBS,
      "bind",
      "escalate",
    ]);
    expect(rules.find(r => r.resources[0] === "rolebindings")!.verbs).toEqual(APPLY_VERBS);
  });

  it("refuses wildcards", () => {
    expect(() => rbacRules(UUID, [{ apiGroup: "", resources: ["*"] }])).toThrow(/wildcard/);
  });

  it.each([[["webserver"]], [["broad"]], [["broad", "secrets", "rbac", "crds"]]])(
    "survives Pepr's scoped-mode merge unchanged: %j",
    (presets: string[]) => {
      const rules = rbacRules(
        UUID,
        presets.flatMap(p => loadPreset(p).kinds),
      );
      expect(strings(rules).some(s => s.includes("*"))).toBe(false);
      const built = peprClusterRole(JSON.parse(JSON.stringify(rules)));
      expect(ruleDiff(rules, built)).toEqual([]);
      expect(built).toHaveLength(rules.length);
    },
  );

  it("covers every preset without error", () => {
    expect(presetNames()).toEqual(
      expect.arrayContaining(["webserver", "broad", "secrets", "rbac", "crds"]),
    );
    for (const p of presetNames()) expect(() => rbacRules(UUID, loadPreset(p).kinds)).not.toThrow();
  });
});

describe("mergeRules", () => {
  it("refuses rules Pepr would merge into something neither means", () => {
    expect(() =>
      mergeRules([
        { apiGroups: [""], resources: ["secrets"], resourceNames: ["a"], verbs: ["get", "patch"] },
        { apiGroups: [""], resources: ["secrets"], verbs: ["list"] },
      ]),
    ).toThrow(/differ in resourceNames and verbs/);
  });

  it("unions verbs of unrestricted rules", () => {
    expect(
      mergeRules([
        { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
        { apiGroups: [""], resources: ["pods"], verbs: ["list"] },
      ]),
    ).toEqual([{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] }]);
  });
});

describe("ruleDiff", () => {
  it("ignores the order of verbs and names but not their content", () => {
    const a: PolicyRule = {
      apiGroups: [""],
      resources: ["x"],
      resourceNames: ["b", "a"],
      verbs: ["get", "list"],
    };
    const b: PolicyRule = {
      apiGroups: [""],
      resources: ["x"],
      resourceNames: ["a", "b"],
      verbs: ["list", "get"],
    };
    expect(ruleText(a)).toBe(ruleText(b));
    expect(ruleDiff([a], [b])).toEqual([]);
    expect(ruleDiff([a], [{ ...b, verbs: ["get"] }])).toHaveLength(2);
  });
});
