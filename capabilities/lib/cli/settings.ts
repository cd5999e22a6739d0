import type { KubeClient } from "../kube/client";
import { KubeApiError } from "../kube/errors";
import {
  CONFIG_MAP_LABEL,
  configFromConfigMaps,
  DEFAULT_CONFIG,
  type ConfigMapLike,
  type OperatorConfig,
} from "../sync/operator-config";
import { protectedNamespaces } from "../tenancy/operator-namespace";

/** The operator's settings, as the operator reads them, for a preview that matches its apply. */
export interface OperatorSettings {
  config: OperatorConfig;
  /** Namespaces whose existing objects are never adopted. */
  protectedNamespaces: ReadonlySet<string>;
  /** Said once on stderr: settings that could not be read, bad values. */
  warnings: string[];
}

/**
 * Reads the app=vidra ConfigMaps of the operator's namespace (stored query, refuseSecrets, fences,
 * default ServiceAccount, cross-namespace Secret references). Without the right to read them, the
 * defaults apply and a warning says so.
 */
export async function loadSettings(kube: KubeClient, namespace: string): Promise<OperatorSettings> {
  const protect = protectedNamespaces(namespace);
  try {
    const list = await kube.list<ConfigMapLike>(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`,
      { labelSelector: `${CONFIG_MAP_LABEL.key}=${CONFIG_MAP_LABEL.value}` },
    );
    const { config, warnings } = configFromConfigMaps(list.items, undefined, {
      operatorNamespace: namespace,
    });
    return { config, protectedNamespaces: protect, warnings };
  } catch (err) {
    if (!(err instanceof KubeApiError) || (err.status !== 403 && err.status !== 404)) throw err;
    return {
      config: DEFAULT_CONFIG,
      protectedNamespaces: protect,
      warnings: [
        `cannot read the operator's settings (ConfigMaps app=vidra in ${namespace}): ${err.status}; using the defaults`,
      ],
    };
  }
}
