import { splitApiVersion } from "./ref";
import type { ParsedObject, ResourceScope } from "./types";

/**
 * The scope of the kinds the manifest's own CustomResourceDefinitions declare, by
 * "<group>/<version>/<Kind>" (the apiVersion/kind of their objects): the cluster cannot tell
 * before the CRDs are applied.
 */
export function scopesDeclaredBy(parsed: readonly ParsedObject[]): Map<string, ResourceScope> {
  const scopes = new Map<string, ResourceScope>();
  for (const p of parsed) {
    const o = p.object;
    if (
      o.kind !== "CustomResourceDefinition" ||
      splitApiVersion(o.apiVersion).group !== "apiextensions.k8s.io"
    )
      continue;
    const s = (o.spec ?? {}) as {
      group?: string;
      scope?: string;
      names?: { kind?: string };
      versions?: Array<{ name?: string }>;
    };
    for (const v of s.versions ?? []) {
      if (s.group && s.names?.kind && v.name)
        scopes.set(
          `${s.group}/${v.name}/${s.names.kind}`,
          s.scope === "Cluster" ? "Cluster" : "Namespaced",
        );
    }
  }
  return scopes;
}
