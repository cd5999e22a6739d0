/** Where the operator runs: Pepr deploys every module to pepr-system. */
export const DEFAULT_OPERATOR_NAMESPACE = "pepr-system";

/** The operator's namespace (VIDRA_OPERATOR_NAMESPACE overrides it for non-standard installs). */
export function operatorNamespace(env: NodeJS.ProcessEnv = process.env): string {
  return env.VIDRA_OPERATOR_NAMESPACE?.trim() || DEFAULT_OPERATOR_NAMESPACE;
}

/**
 * Vidra read its app=vidra ConfigMap from any namespace, so anyone who may create a ConfigMap
 * anywhere could change the operator's settings. This operator reads it only from its own
 * namespace; VIDRA_PEPR_GLOBAL_CONFIG_ANY_NAMESPACE=true (on the watcher) keeps Vidra's lookup
 * for a migration. Tenancy keys are read from the operator's namespace even then.
 */
export function globalConfigAnyNamespace(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.VIDRA_PEPR_GLOBAL_CONFIG_ANY_NAMESPACE?.trim().toLowerCase() === "true";
}

/** Namespaces whose existing objects are never adopted, whatever a resource's adoption says. */
export function protectedNamespaces(operatorNs: string): ReadonlySet<string> {
  return new Set(["kube-system", "kube-public", "kube-node-lease", operatorNs]);
}
