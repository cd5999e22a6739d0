import { parseDuration } from "../duration";
import { errorMessage } from "../errors";
import { nullLogger, type Logger } from "../logger";

/** Vidra's global settings, read from ConfigMaps labelled app=vidra (any namespace). */
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
}

export const DEFAULT_CONFIG: Readonly<OperatorConfig> = Object.freeze({
  requeueSyncAfterMs: 60_000,
  requeueResourcesAfterMs: 600_000,
  queryName: "ArtifactIDs",
  eventBasedReconcile: false,
  refuseSecrets: false,
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
): { config: OperatorConfig; warnings: string[] } {
  const newestFirst = [...cms].sort((a, b) => created(b).localeCompare(created(a)));
  const warnings: string[] = [];
  const lookup = (...keys: string[]): { value: string; where: string } | undefined => {
    for (const cm of newestFirst) {
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
  const boolean = (fallback: boolean, key: string): boolean => {
    const found = lookup(key);
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
  };
  for (const w of warnings) logger.warn({ component: "config" }, w);
  return { config, warnings };
}

/**
 * The live configuration: ConfigMap events update it; readers always get the current values
 * (Vidra read it once at start-up). Listeners hear about changes.
 */
export class LiveOperatorConfig {
  private readonly cms = new Map<string, ConfigMapLike>();
  private current: OperatorConfig = { ...DEFAULT_CONFIG };
  private readonly listeners: Array<(c: OperatorConfig, previous: OperatorConfig) => void> = [];

  constructor(private readonly logger: Logger = nullLogger) {}

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
    this.cms.set(this.key(cm), cm);
    this.recompute();
  }

  remove(cm: ConfigMapLike): void {
    this.cms.delete(this.key(cm));
    this.recompute();
  }

  private recompute(): void {
    const previous = this.current;
    this.current = configFromConfigMaps([...this.cms.values()], this.logger).config;
    if (JSON.stringify(previous) !== JSON.stringify(this.current)) {
      this.logger.info(
        { component: "config", config: this.current },
        "operator configuration changed",
      );
      for (const fn of this.listeners) fn(this.current, previous);
    }
  }
}
