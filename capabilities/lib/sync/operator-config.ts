import { parseDuration } from "../duration";
import { errorMessage } from "../errors";
import { nullLogger, type Logger } from "../logger";
import { dns1123LabelProblem, dns1123SubdomainProblem } from "../manifest/k8s-names";
import { formatKindPattern, OPEN_FENCE, parseKindPattern, type Fence } from "../tenancy/fence";
import { DEFAULT_OPERATOR_NAMESPACE } from "../tenancy/operator-namespace";

/** Who applies, and where: read only from ConfigMaps in the operator's namespace. */
export interface TenancyConfig {
  /** What every VidraResource may apply; a resource's spec.fence can only narrow it. */
  fence: Fence;
  /** ServiceAccount (in each resource's namespace) impersonated when a resource names none. */
  defaultServiceAccount?: string;
  /** Refuse to apply to the local cluster without a ServiceAccount to impersonate. */
  requireServiceAccount: boolean;
  /** Secret references (and Vidra's label lookups) may leave the resource's namespace. */
  allowCrossNamespaceSecretRefs: boolean;
}

/** Vidra's global settings, read from ConfigMaps labelled app=vidra in the operator's namespace. */
export interface OperatorConfig {
  /** Default InfrahubSync poll interval (Vidra: requeueSyncAfter, default 1m). 0 = no polling. */
  requeueSyncAfterMs: number;
  /** Default VidraResource re-apply interval (Vidra: requeueResourcesAfter, default 10m). 0 = none. */
  requeueResourcesAfterMs: number;
  /** Default stored query (Vidra: queryName, default ArtifactIDs). */
  queryName: string;
  /** Watch applied objects for every VidraResource (Vidra: eventBasedReconcile, default false). */
  eventBasedReconcile: boolean;
  /**
   * Refuse artifacts and VidraResources holding Secrets (default false): their data would be
   * stored in VidraResources, which encryption at rest for Secrets does not cover.
   */
  refuseSecrets: boolean;
  tenancy: TenancyConfig;
}

export const DEFAULT_TENANCY: Readonly<TenancyConfig> = Object.freeze({
  fence: OPEN_FENCE,
  requireServiceAccount: false,
  allowCrossNamespaceSecretRefs: true,
});

export const DEFAULT_CONFIG: Readonly<OperatorConfig> = Object.freeze({
  requeueSyncAfterMs: 60_000,
  requeueResourcesAfterMs: 600_000,
  queryName: "ArtifactIDs",
  eventBasedReconcile: false,
  refuseSecrets: false,
  tenancy: DEFAULT_TENANCY,
});

export const CONFIG_MAP_LABEL = { key: "app", value: "vidra" } as const;

export interface ConfigMapLike {
  metadata?: { name?: string; namespace?: string; uid?: string; creationTimestamp?: string | Date };
  data?: Record<string, string>;
}

const created = (cm: ConfigMapLike): string => {
  const t = cm.metadata?.creationTimestamp;
  return t ? new Date(t).toISOString() : "";
};

/**
 * Turns the app=vidra ConfigMaps into one configuration. Keys are looked up per key in the newest
 * ConfigMap that sets them (Vidra took the first ConfigMap with any matching key and could panic
 * when another key was missing). Bad values are ignored with a warning, never a crash. The Vidra CLI
 * writes `requeueResourceAfter` (singular); it is accepted as an alias.
 */
export function configFromConfigMaps(
  cms: ConfigMapLike[],
  logger: Logger = nullLogger,
  opts: { operatorNamespace?: string } = {},
): { config: OperatorConfig; warnings: string[] } {
  const newestFirst = [...cms].sort((a, b) => created(b).localeCompare(created(a)));
  const operatorNs = opts.operatorNamespace ?? DEFAULT_OPERATOR_NAMESPACE;
  // Who may loosen a fence or pick the identity syncs apply with: only whoever may write
  // ConfigMaps in the operator's namespace, even when Vidra's any-namespace lookup is kept.
  const ownNamespace = newestFirst.filter(cm => cm.metadata?.namespace === operatorNs);
  const warnings: string[] = [];
  const lookupIn = (
    list: ConfigMapLike[],
    keys: string[],
  ): { value: string; where: string } | undefined => {
    for (const cm of list) {
      for (const key of keys) {
        const value = cm.data?.[key];
        if (value !== undefined && value.trim() !== "") {
          return {
            value: value.trim(),
            where: `ConfigMap ${cm.metadata?.namespace}/${cm.metadata?.name} key ${key}`,
          };
        }
      }
    }
    return undefined;
  };
  const lookup = (...keys: string[]) => lookupIn(newestFirst, keys);
  const duration = (fallback: number, ...keys: string[]): number => {
    const found = lookup(...keys);
    if (!found) return fallback;
    try {
      const ms = parseDuration(found.value);
      if (ms < 0) throw new Error("it is negative");
      return ms;
    } catch (err) {
      warnings.push(
        `${found.where}: ${JSON.stringify(found.value)} is not a valid duration (${errorMessage(err)}); using the default`,
      );
      return fallback;
    }
  };
  const queryName = lookup("queryName");
  let query = DEFAULT_CONFIG.queryName;
  if (queryName) {
    if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(queryName.value)) query = queryName.value;
    else
      warnings.push(
        `${queryName.where}: ${JSON.stringify(queryName.value)} is not a query name; using ${query}`,
      );
  }
  const boolean = (fallback: boolean, key: string, list = newestFirst): boolean => {
    const found = lookupIn(list, [key]);
    if (!found) return fallback;
    const v = found.value.toLowerCase();
    if (v === "true" || v === "false") return v === "true";
    warnings.push(
      `${found.where}: ${JSON.stringify(found.value)} is not true or false; using ${fallback}`,
    );
    return fallback;
  };
  const eventBased = boolean(DEFAULT_CONFIG.eventBasedReconcile, "eventBasedReconcile");
  const refuseSecrets = boolean(DEFAULT_CONFIG.refuseSecrets, "refuseSecrets");
  const tenancy = tenancyFrom(
    keys => lookupIn(ownNamespace, keys),
    (key, fallback) => boolean(fallback, key, ownNamespace),
    warnings,
  );
  const config: OperatorConfig = {
    requeueSyncAfterMs: duration(DEFAULT_CONFIG.requeueSyncAfterMs, "requeueSyncAfter"),
    requeueResourcesAfterMs: duration(
      DEFAULT_CONFIG.requeueResourcesAfterMs,
      "requeueResourcesAfter",
      "requeueResourceAfter",
    ),
    queryName: query,
    eventBasedReconcile: eventBased,
    refuseSecrets,
    tenancy,
  };
  for (const w of warnings) logger.warn({ component: "config" }, w);
  return { config, warnings };
}

/** A comma- or newline-separated list. */
function list(value: string): string[] {
  return value
    .split(/[,\n]+/)
    .map(v => v.trim())
    .filter(Boolean);
}

function tenancyFrom(
  lookup: (keys: string[]) => { value: string; where: string } | undefined,
  boolean: (key: string, fallback: boolean) => boolean,
  warnings: string[],
): TenancyConfig {
  let allowedNamespaces: string[] | undefined;
  const ns = lookup(["allowedNamespaces"]);
  if (ns) {
    allowedNamespaces = [];
    for (const n of list(ns.value)) {
      const p = dns1123LabelProblem(n);
      if (p) warnings.push(`${ns.where}: namespace ${p}; left out (nothing is allowed there)`);
      else allowedNamespaces.push(n);
    }
  }
  const deniedKinds: Fence["deniedKinds"] = [];
  const denied = lookup(["deniedKinds"]);
  for (const k of denied ? list(denied.value) : []) {
    const p = parseKindPattern(k);
    if (typeof p === "string") warnings.push(`${denied!.where}: ${p}; ignored`);
    else if (!deniedKinds.some(d => formatKindPattern(d) === formatKindPattern(p)))
      deniedKinds.push(p);
  }
  let defaultServiceAccount: string | undefined;
  const sa = lookup(["defaultServiceAccount"]);
  if (sa) {
    const p = dns1123SubdomainProblem(sa.value);
    if (p) warnings.push(`${sa.where}: ServiceAccount name ${p}; no default ServiceAccount`);
    else defaultServiceAccount = sa.value;
  }
  return {
    fence: {
      ...(allowedNamespaces ? { allowedNamespaces } : {}),
      allowClusterScoped: boolean("allowClusterScoped", DEFAULT_TENANCY.fence.allowClusterScoped),
      deniedKinds,
    },
    ...(defaultServiceAccount ? { defaultServiceAccount } : {}),
    requireServiceAccount: boolean("requireServiceAccount", DEFAULT_TENANCY.requireServiceAccount),
    allowCrossNamespaceSecretRefs: boolean(
      "allowCrossNamespaceSecretRefs",
      DEFAULT_TENANCY.allowCrossNamespaceSecretRefs,
    ),
  };
}

/**
 * The live configuration: ConfigMap events update it; readers always get the current values
 * (Vidra read it once at start-up). Listeners hear about changes.
 */
export class LiveOperatorConfig {
  private readonly cms = new Map<string, ConfigMapLike>();
  private current: OperatorConfig = { ...DEFAULT_CONFIG };
  private readonly listeners: Array<(c: OperatorConfig, previous: OperatorConfig) => void> = [];

  private readonly ignored = new Set<string>();

  constructor(
    private readonly logger: Logger = nullLogger,
    private readonly opts: { operatorNamespace?: string; anyNamespace?: boolean } = {},
  ) {}

  private get operatorNamespace(): string {
    return this.opts.operatorNamespace ?? DEFAULT_OPERATOR_NAMESPACE;
  }

  /** Whether a ConfigMap's settings count (the operator's namespace, or any with the switch). */
  accepts(cm: ConfigMapLike): boolean {
    return this.opts.anyNamespace === true || cm.metadata?.namespace === this.operatorNamespace;
  }

  get(): OperatorConfig {
    return this.current;
  }

  onChange(fn: (c: OperatorConfig, previous: OperatorConfig) => void): void {
    this.listeners.push(fn);
  }

  private key(cm: ConfigMapLike): string {
    return cm.metadata?.uid ?? `${cm.metadata?.namespace}/${cm.metadata?.name}`;
  }

  upsert(cm: ConfigMapLike): void {
    if (!this.accepts(cm)) {
      const id = this.key(cm);
      if (!this.ignored.has(id)) {
        this.ignored.add(id);
        this.logger.warn(
          { component: "config", configMap: `${cm.metadata?.namespace}/${cm.metadata?.name}` },
          `ConfigMap ${cm.metadata?.namespace}/${cm.metadata?.name} is labelled app=vidra but is not in the operator's namespace ${this.operatorNamespace}; its settings are ignored (move it there, or set VIDRA_PEPR_GLOBAL_CONFIG_ANY_NAMESPACE=true on the watcher to keep Vidra's any-namespace lookup)`,
        );
      }
      return;
    }
    this.cms.set(this.key(cm), cm);
    this.recompute();
  }

  remove(cm: ConfigMapLike): void {
    this.ignored.delete(this.key(cm));
    this.cms.delete(this.key(cm));
    this.recompute();
  }

  private recompute(): void {
    const previous = this.current;
    this.current = configFromConfigMaps([...this.cms.values()], this.logger, {
      operatorNamespace: this.operatorNamespace,
    }).config;
    if (JSON.stringify(previous) !== JSON.stringify(this.current)) {
      this.logger.info(
        { component: "config", config: this.current },
        "operator configuration changed",
      );
      for (const fn of this.listeners) fn(this.current, previous);
    }
  }
}
