import type { ValidateOptions } from "../manifest/validate";
import { dns1123LabelProblem } from "../manifest/k8s-names";

/** A kind that may not be applied: in one API group ("" is the core group), or in any ("*"). */
export interface KindPattern {
  group: string;
  kind: string;
}

/**
 * What a VidraResource may apply: namespaced objects only in `allowedNamespaces` (undefined: any),
 * cluster-scoped objects only when `allowClusterScoped`, never a kind in `deniedKinds`.
 */
export interface Fence {
  allowedNamespaces?: string[];
  allowClusterScoped: boolean;
  deniedKinds: KindPattern[];
}

export const OPEN_FENCE: Readonly<Fence> = Object.freeze({
  allowClusterScoped: true,
  deniedKinds: [],
});

/** `spec.fence` as stored (the CRD's shape). */
export interface FenceSpec {
  allowedNamespaces?: string[];
  allowClusterScoped?: boolean;
  deniedKinds?: string[];
}

const KIND = /^[A-Za-z][A-Za-z0-9]*$/;

/**
 * `Kind` (that kind in any group, so "ClusterRole" cannot be slipped past in another group) or
 * `Kind.group` (kubectl's resource.group notation, with the kind): "ClusterRoleBinding",
 * "Ingress.networking.k8s.io".
 */
export function parseKindPattern(text: string): KindPattern | string {
  const t = text.trim();
  const dot = t.indexOf(".");
  const kind = dot < 0 ? t : t.slice(0, dot);
  const group = dot < 0 ? "*" : t.slice(dot + 1);
  if (!KIND.test(kind))
    return `"${text}" is not a kind: use "Kind" (any API group) or "Kind.group", e.g. "ClusterRoleBinding" or "Ingress.networking.k8s.io"`;
  if (dot >= 0 && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(group))
    return `"${text}" names no valid API group after the kind`;
  return { group, kind };
}

export function formatKindPattern(p: KindPattern): string {
  return p.group === "*" ? p.kind : `${p.kind}.${p.group || "core"}`;
}

/** Problems with a `spec.fence` (for admission), as "<field> <problem>" pairs. */
export function fenceSpecProblems(fence: FenceSpec | undefined): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  (fence?.allowedNamespaces ?? []).forEach((ns, i) => {
    const p = typeof ns === "string" ? dns1123LabelProblem(ns) : "must be a namespace name";
    if (p) out.push([`spec.fence.allowedNamespaces[${i}]`, p]);
  });
  (fence?.deniedKinds ?? []).forEach((k, i) => {
    const p = typeof k === "string" ? parseKindPattern(k) : "must be a kind";
    if (typeof p === "string") out.push([`spec.fence.deniedKinds[${i}]`, p]);
  });
  return out;
}

/** The fence of a spec on its own (entries admission refuses are left out here). */
export function fenceOfSpec(spec: FenceSpec | undefined): Fence | undefined {
  if (!spec) return undefined;
  return {
    allowedNamespaces: spec.allowedNamespaces ? [...spec.allowedNamespaces] : undefined,
    allowClusterScoped: spec.allowClusterScoped !== false,
    deniedKinds: (spec.deniedKinds ?? [])
      .map(parseKindPattern)
      .filter((p): p is KindPattern => typeof p !== "string"),
  };
}

/**
 * The operator's fence narrowed by a resource's own: a resource can only take away (fewer
 * namespaces, no cluster-scoped objects, more denied kinds), never widen what the operator allows.
 */
export function narrowFence(global: Fence, own: Fence | undefined): Fence {
  if (!own) return global;
  const namespaces =
    global.allowedNamespaces && own.allowedNamespaces
      ? global.allowedNamespaces.filter(n => own.allowedNamespaces!.includes(n))
      : (global.allowedNamespaces ?? own.allowedNamespaces);
  const denied = [...global.deniedKinds];
  for (const k of own.deniedKinds)
    if (!denied.some(d => d.group === k.group && d.kind === k.kind)) denied.push(k);
  return {
    allowedNamespaces: namespaces ? [...namespaces] : undefined,
    allowClusterScoped: global.allowClusterScoped && own.allowClusterScoped,
    deniedKinds: denied,
  };
}

export function isOpen(f: Fence): boolean {
  return !f.allowedNamespaces && f.allowClusterScoped && f.deniedKinds.length === 0;
}

/** The fence as validateObjects takes it. */
export function fenceOptions(
  f: Fence,
  origin: string,
): Pick<
  ValidateOptions,
  "allowedNamespaces" | "allowClusterScoped" | "deniedKinds" | "fenceOrigin"
> {
  return {
    allowedNamespaces: f.allowedNamespaces,
    allowClusterScoped: f.allowClusterScoped,
    deniedKinds: f.deniedKinds,
    fenceOrigin: origin,
  };
}
