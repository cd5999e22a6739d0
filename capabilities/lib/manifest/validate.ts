import {
  dns1035LabelProblem,
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  labelValueProblem,
  pathSegmentNameProblem,
  qualifiedNameProblem,
} from "./k8s-names";
import { formatLocation, formatProblem, ProblemList } from "./manifest-error";
import { formatRef, refKey, splitApiVersion } from "./ref";
import type {
  KubeObject,
  NormalizedObject,
  ObjectRef,
  ParsedObject,
  ScopeOf,
  SourceLocation,
} from "./types";

export { formatRef, refKey } from "./ref";

/** What the destination allows; see validateObjects. */
export interface ValidateOptions {
  /** Namespace for namespaced objects that name none. Default "default". */
  defaultNamespace?: string;
  /** Discovery on the destination cluster. */
  scopeOf: ScopeOf;
  /** When set, namespaced objects must be in one of these namespaces. */
  allowedNamespaces?: string[];
  /** Whether cluster-scoped objects may be applied. Default true. */
  allowClusterScoped?: boolean;
  /** Kinds that may never be applied (group "" is the core group, "*" any group). */
  deniedKinds?: Array<{ group: string; kind: string }>;
  /**
   * Who set the three fences above, for messages ("the operator's configuration and
   * spec.fence"). Default "the operator's configuration".
   */
  fenceOrigin?: string;
  /** Most problems listed in one error. Default 20. */
  maxProblems?: number;
}

export interface ValidationResult {
  objects: NormalizedObject[];
  /** Things changed on the way that a person may want to know about (e.g. a namespace dropped). */
  warnings: string[];
}

const VERSION = /^v[1-9][0-9]*(?:(?:alpha|beta)[1-9][0-9]*)?$/;
const KIND = /^[A-Za-z][A-Za-z0-9]*$/;
const RBAC_GROUP = "rbac.authorization.k8s.io";
const RBAC_KINDS = new Set(["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"]);
const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/**
 * Checks parsed objects against Kubernetes' rules and the destination, and settles each one's
 * namespace by its scope:
 * - namespaced without a namespace → `defaultNamespace ?? "default"` (Vidra had no "default" fallback);
 * - cluster-scoped with a namespace → the namespace is dropped with a warning, as the API server
 *   ignores it too; refusing would break manifests that kubectl applies.
 * All problems (invalid names, labels, unknown kinds, disallowed namespaces, duplicates) are thrown
 * together as one ManifestError; nothing is returned unless every object is valid.
 */
export function validateObjects(objs: ParsedObject[], opts: ValidateOptions): ValidationResult {
  const problems = new ProblemList(opts.maxProblems);
  const warnings: string[] = [];
  const defaultNamespace = opts.defaultNamespace || "default";
  const nsProblem = dns1123LabelProblem(defaultNamespace);
  if (nsProblem) problems.add({ message: `the default namespace is invalid: ${nsProblem}` });

  const seen = new Map<string, SourceLocation>();
  const objects: NormalizedObject[] = [];
  for (const parsed of objs) {
    const source: SourceLocation =
      parsed.item === undefined
        ? { document: parsed.document }
        : { document: parsed.document, item: parsed.item };
    const o = parsed.object;
    const name =
      typeof o.metadata?.name === "string" && o.metadata.name ? o.metadata.name : undefined;
    const subject = `${typeof o.kind === "string" && o.kind ? o.kind : "object"}${name ? `/${name}` : ""}`;
    const before = problems.size;
    const add = (message: string, fence?: boolean): void =>
      problems.add({ ...source, subject, message, ...(fence ? { fence } : {}) });
    const note = (message: string): void =>
      void warnings.push(formatProblem({ ...source, subject, message }));

    const gv = checkIdentity(o, add);
    const metadataOk = checkMetadata(o, gv?.group, add);
    const namespace =
      gv && metadataOk ? settleNamespace(o, gv.group, defaultNamespace, opts, add, note) : false;
    if (!gv || !name || namespace === false || problems.size > before) continue;

    const ref: ObjectRef = { apiVersion: o.apiVersion, ...gv, kind: o.kind, name };
    if (namespace !== undefined) ref.namespace = namespace;
    const key = refKey(ref);
    const first = seen.get(key);
    if (first) {
      add(`${formatRef(ref)} is defined twice: first in ${formatLocation(first)}`);
      continue;
    }
    seen.set(key, source);
    const metadata = { ...o.metadata };
    if (namespace === undefined) delete metadata.namespace;
    else metadata.namespace = namespace;
    objects.push({ ref, object: { ...o, metadata }, source });
  }
  problems.throwIfAny();
  return { objects, warnings };
}

/** apiVersion and kind; returns the group/version when both are valid. */
function checkIdentity(
  o: KubeObject,
  add: (m: string) => void,
): { group: string; version: string } | undefined {
  let ok = true;
  const { group, version } =
    typeof o.apiVersion === "string" ? splitApiVersion(o.apiVersion) : { group: "", version: "" };
  if (
    typeof o.apiVersion !== "string" ||
    !VERSION.test(version) ||
    (o.apiVersion.includes("/") && group === "")
  ) {
    add(
      `apiVersion ${JSON.stringify(o.apiVersion)} is invalid: use "v1" or "<group>/<version>" such as "apps/v1" (versions look like v1, v1beta1, v2alpha3)`,
    );
    ok = false;
  } else if (group !== "") {
    const p = dns1123SubdomainProblem(group);
    if (p) {
      add(`apiVersion group ${p}`);
      ok = false;
    }
  }
  if (typeof o.kind !== "string" || !KIND.test(o.kind)) {
    add(
      `kind ${JSON.stringify(o.kind)} is invalid: use a name such as "Deployment" (letters and digits only)`,
    );
    ok = false;
  }
  return ok ? { group, version } : undefined;
}

/** Name, namespace, labels and annotations; false when metadata is not even a mapping. */
function checkMetadata(
  o: KubeObject,
  group: string | undefined,
  add: (m: string) => void,
): boolean {
  const md = o.metadata;
  if (typeof md !== "object" || md === null || Array.isArray(md)) {
    add("metadata must be a mapping");
    return false;
  }
  if (md.generateName !== undefined) {
    add(
      "metadata.generateName is not supported: the operator must know each object's name to track and prune it; set metadata.name",
    );
  }
  if (md.name === undefined || md.name === null || md.name === "") add("metadata.name is required");
  else if (typeof md.name !== "string")
    add(`metadata.name must be a string, not a ${typeof md.name} (quote it in YAML)`);
  else {
    const p = nameProblem(md.name, group, o.kind);
    if (p) add(`metadata.name ${p}`);
  }
  if (md.namespace !== undefined && md.namespace !== null && md.namespace !== "") {
    if (typeof md.namespace !== "string")
      add(`metadata.namespace must be a string, not a ${typeof md.namespace}`);
    else {
      const p = dns1123LabelProblem(md.namespace);
      if (p) add(`metadata.namespace ${p}`);
    }
  }
  checkStringMap(md.labels, "label", add, labelValueProblem);
  checkStringMap(md.annotations, "annotation", add);
  if (isStringMap(md.annotations)) {
    const bytes = Object.entries(md.annotations).reduce(
      (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v),
      0,
    );
    if (bytes > MAX_ANNOTATIONS_BYTES)
      add(`annotations total ${bytes} bytes, over Kubernetes' limit of 262144 (256 KiB)`);
  }
  return true;
}

/** The name rule of the kind: labels for Namespaces and Services, path segments for RBAC, else subdomains. */
function nameProblem(name: string, group: string | undefined, kind: unknown): string | undefined {
  if (group === "" && kind === "Namespace") return dns1123LabelProblem(name);
  if (group === "" && kind === "Service") return dns1035LabelProblem(name);
  if (group === RBAC_GROUP && RBAC_KINDS.has(kind as string)) return pathSegmentNameProblem(name);
  return dns1123SubdomainProblem(name);
}

function checkStringMap(
  map: unknown,
  what: "label" | "annotation",
  add: (m: string) => void,
  valueProblem?: (v: string) => string | undefined,
): void {
  if (map === undefined || map === null) return;
  if (typeof map !== "object" || Array.isArray(map))
    return add(`metadata.${what}s must be a mapping`);
  for (const [key, value] of Object.entries(map)) {
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem) add(`${what} ${keyProblem}`);
    // Annotation values are never quoted: they may hold anything.
    if (typeof value !== "string")
      add(
        `${what} "${key}" must have a string value, not ${value === null ? "null" : `a ${typeof value}`} (quote it in YAML)`,
      );
    else if (valueProblem) {
      const p = valueProblem(value);
      if (p) add(`${what} "${key}" value ${p}`);
    }
  }
}

function isStringMap(v: unknown): v is Record<string, string> {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every(x => typeof x === "string")
  );
}

/**
 * The namespace the object goes to: a name for namespaced kinds, `undefined` for cluster-scoped ones,
 * `false` when the destination has no such kind (a problem has been recorded).
 */
function settleNamespace(
  o: KubeObject,
  group: string,
  defaultNamespace: string,
  opts: ValidateOptions,
  add: (m: string, fence?: boolean) => void,
  note: (m: string) => void,
): string | undefined | false {
  const origin = opts.fenceOrigin ?? "the operator's configuration";
  if (opts.deniedKinds?.some(d => (d.group === group || d.group === "*") && d.kind === o.kind)) {
    add(
      `kind ${o.kind} in group ${group === "" ? '"" (core)' : `"${group}"`} is denied by ${origin}`,
      true,
    );
  }
  const scope = opts.scopeOf(o.apiVersion, o.kind);
  if (scope === undefined) {
    add(`no resource kind ${o.kind} in apiVersion ${o.apiVersion} on the destination cluster`);
    return false;
  }
  const given =
    typeof o.metadata.namespace === "string" && o.metadata.namespace
      ? o.metadata.namespace
      : undefined;
  if (scope === "Cluster") {
    if (opts.allowClusterScoped === false)
      add(`is cluster-scoped, and ${origin} allows no cluster-scoped objects`, true);
    if (given) note(`is cluster-scoped, so its metadata.namespace "${given}" is ignored`);
    return undefined;
  }
  const namespace = given ?? defaultNamespace;
  if (opts.allowedNamespaces && !opts.allowedNamespaces.includes(namespace)) {
    const allowed = opts.allowedNamespaces.map(n => `"${n}"`).join(", ") || "none";
    add(`namespace "${namespace}" is outside ${origin} (allowed: ${allowed})`, true);
  }
  return namespace;
}
