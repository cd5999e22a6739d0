/**
 * The operator's ClusterRole, as the `pepr.rbac` rules of package.json: what the operator itself needs
 * plus what it may apply (an "applied kinds" selection, see deploy/rbac-presets/).
 *
 * Pepr 1.1.4's scoped mode (`createRBACMap` + `clusterRole` in pepr/src/lib) merges its own rules into
 * ours by the key `${apiGroups}/${resources}`, keeping the first rule's resourceNames and adding the
 * other rule's verbs. So every rule here has exactly one resource (and one group), every key is
 * unique, and every key Pepr adds (its store, its CRD, each watched kind) already exists with a
 * superset of Pepr's verbs: the built ClusterRole is then exactly this list.
 */

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

/** What an applied kind needs: apply (patch, also for dry-run), prune (delete), drift watch (list, watch). */
export const APPLY_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"];

const VERB_ORDER = [...APPLY_VERBS, "deletecollection", "bind", "escalate", "impersonate"];

export const OPERATOR_GROUP = "infrahub.operators.com";
export const OPERATOR_CRDS = [
  `infrahubsyncs.${OPERATOR_GROUP}`,
  `vidraresources.${OPERATOR_GROUP}`,
];
/** Pepr's controller applies its store CRD at start-up (pepr/src/runtime/controller.ts). */
export const PEPR_STORE_CRD = "peprstores.pepr.dev";

/** One kind group of an applied-kinds file: resources (plurals) of one API group. */
export interface AppliedKinds {
  apiGroup: string;
  resources: string[];
  /** Verbs beyond APPLY_VERBS (e.g. bind and escalate for RBAC objects). */
  extraVerbs?: string[];
}

function sortVerbs(verbs: Iterable<string>): string[] {
  const rank = (v: string) => (VERB_ORDER.includes(v) ? VERB_ORDER.indexOf(v) : VERB_ORDER.length);
  return [...new Set(verbs)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function rule(group: string, resource: string, verbs: string[], names?: string[]): PolicyRule {
  return {
    apiGroups: [group],
    resources: [resource],
    ...(names ? { resourceNames: [...names] } : {}),
    verbs: sortVerbs(verbs),
  };
}

export interface RbacOptions {
  /**
   * false: no cluster-wide Secret reads; the platform grants them per namespace with a Role instead
   * (docs/deploy.md). Vidra's label lookups then cannot work; explicit Secret references can.
   */
  secretReads?: boolean;
}

/**
 * What the operator needs whatever it applies. `uuid` is the module's (package.json pepr.uuid): Pepr
 * keeps its stores in pepr-system as PeprStore objects named after it.
 */
export function operatorRules(uuid: string, opts: RbacOptions = {}): PolicyRule[] {
  const own = (plural: string): PolicyRule[] => [
    rule(OPERATOR_GROUP, plural, APPLY_VERBS),
    rule(OPERATOR_GROUP, `${plural}/status`, ["get", "update", "patch"]),
    // blockOwnerDeletion on VidraResources' owner references needs update on the owner's finalizers.
    rule(OPERATOR_GROUP, `${plural}/finalizers`, ["update"]),
  ];
  return [
    ...own("infrahubsyncs"),
    ...own("vidraresources"),
    // Server-side apply of a missing object is authorized as create with the object's name, so every
    // verb can be limited to the CRDs the watcher (ours) and Pepr's controller (its store) apply.
    rule(
      "apiextensions.k8s.io",
      "customresourcedefinitions",
      ["get", "create", "update", "patch"],
      [...OPERATOR_CRDS, PEPR_STORE_CRD],
    ),
    // Pepr's own store (admission and watcher): only this module's PeprStore objects.
    rule(
      "pepr.dev",
      "peprstores",
      ["get", "list", "watch", "create", "patch"],
      [`pepr-${uuid}-store`, `pepr-${uuid}-schedule`],
    ),
    // Infrahub credentials, CA bundles and destination kubeconfigs, in any namespace (as Vidra).
    ...(opts.secretReads === false ? [] : [rule("", "secrets", ["get", "list", "watch"])]),
    // The operator ConfigMap (label app=vidra; honoured only in the operator's namespace unless
    // VIDRA_PEPR_GLOBAL_CONFIG_ANY_NAMESPACE is set) and applied ConfigMaps' drift watches.
    rule("", "configmaps", ["get", "list", "watch"]),
    rule("", "events", ["create", "patch"]),
    rule("events.k8s.io", "events", ["create", "patch"]),
    // spec.serviceAccountName and defaultServiceAccount: a sync's objects are read, dry-run,
    // written and pruned as its ServiceAccount (Impersonate-User), so that account's RBAC decides.
    // ServiceAccounts only: never users or groups.
    rule("", "serviceaccounts", ["impersonate"]),
    // Leader election: each shard's Lease (named from its settings, so not limited by name; a
    // create cannot be in any case). No list or watch: the elector reads its own Lease by name.
    rule("coordination.k8s.io", "leases", ["get", "create", "update"]),
    // Health (spec.wait): the pods of a workload that is not ready say why ("ImagePullBackOff").
    rule("", "pods", ["list"]),
  ];
}

function keyOf(r: PolicyRule): string {
  return `${r.apiGroups.join(",")}/${r.resources.join(",")}`;
}

/** A rule's verbs cover another's when the names it is limited to (if any) include the other's. */
function covers(broad: PolicyRule, narrow: PolicyRule): boolean {
  const names = broad.resourceNames;
  const namesOk =
    !names || (!!narrow.resourceNames && narrow.resourceNames.every(n => names.includes(n)));
  return namesOk && narrow.verbs.every(v => broad.verbs.includes(v));
}

/**
 * Folds rules with the same group and resource into one, so Pepr's merge (by that key) cannot widen
 * or drop anything. Throws when two such rules cannot be expressed as one.
 */
export function mergeRules(rules: PolicyRule[]): PolicyRule[] {
  const out = new Map<string, PolicyRule>();
  for (const r of rules) {
    if (r.apiGroups.length !== 1 || r.resources.length !== 1) {
      throw new Error(`rule ${keyOf(r)}: one API group and one resource per rule`);
    }
    const key = keyOf(r);
    const prev = out.get(key);
    if (!prev) {
      out.set(key, { ...r, verbs: sortVerbs(r.verbs) });
    } else if (covers(r, prev)) {
      out.set(key, { ...r, verbs: sortVerbs(r.verbs) });
    } else if (covers(prev, r)) {
      continue;
    } else if (!prev.resourceNames && !r.resourceNames) {
      out.set(key, { ...prev, verbs: sortVerbs([...prev.verbs, ...r.verbs]) });
    } else {
      throw new Error(
        `rules for ${key} differ in resourceNames and verbs; Pepr would merge them into one rule`,
      );
    }
  }
  return [...out.values()];
}

/** Full apply rights on each listed resource. */
export function appliedKindRules(kinds: AppliedKinds[]): PolicyRule[] {
  return kinds.flatMap(k =>
    k.resources.map(resource =>
      rule(k.apiGroup, resource, [...APPLY_VERBS, ...(k.extraVerbs ?? [])]),
    ),
  );
}

/** The `pepr.rbac` rules for a module uuid and an applied-kinds selection. */
export function rbacRules(
  uuid: string,
  kinds: AppliedKinds[],
  opts: RbacOptions = {},
): PolicyRule[] {
  if (
    opts.secretReads === false &&
    kinds.some(k => k.apiGroup === "" && k.resources.includes("secrets"))
  ) {
    throw new Error(
      "without Secret reads: the applied kinds include secrets, which grants reading them everywhere anyway",
    );
  }
  const rules = mergeRules([...operatorRules(uuid, opts), ...appliedKindRules(kinds)]);
  const wild = rules.find(r =>
    [...r.apiGroups, ...r.resources, ...r.verbs, ...(r.resourceNames ?? [])].some(s =>
      s.includes("*"),
    ),
  );
  if (wild) throw new Error(`rule ${keyOf(wild)} has a wildcard; list groups, resources and verbs`);
  return rules;
}

/** A rule as a comparable string: verbs and names are sets, so their order does not count. */
export function ruleText(r: PolicyRule): string {
  return JSON.stringify({
    apiGroups: r.apiGroups,
    resources: r.resources,
    ...(r.resourceNames ? { resourceNames: [...r.resourceNames].sort() } : {}),
    verbs: [...r.verbs].sort(),
  });
}

/** Rules in one list that are not in the other, one line each (for messages). */
export function ruleDiff(want: PolicyRule[], have: PolicyRule[]): string[] {
  const show = ruleText;
  const haveSet = new Set(have.map(show));
  const wantSet = new Set(want.map(show));
  return [
    ...want.filter(r => !haveSet.has(show(r))).map(r => `missing: ${show(r)}`),
    ...have.filter(r => !wantSet.has(show(r))).map(r => `unexpected: ${show(r)}`),
  ];
}
