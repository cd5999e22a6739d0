import type { ObjectRef } from "./types";

/** `apps/v1` → `{group: "apps", version: "v1"}`; `v1` → `{group: "", version: "v1"}`. No validation. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash < 0
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/**
 * A stable id for inventories: `<group>/<kind>/<namespace>/<name>` (group and namespace "" when
 * core/cluster-scoped). The version is left out on purpose: `apps/v1` and `apps/v1beta2` name the
 * same object. Names cannot contain "/", so the id is unambiguous.
 */
export function refKey(ref: Pick<ObjectRef, "group" | "kind" | "namespace" | "name">): string {
  return `${ref.group}/${ref.kind}/${ref.namespace ?? ""}/${ref.name}`;
}

/** For people: `Deployment/web/nginx` (namespaced) or `ClusterRole/view` (cluster-scoped). */
export function formatRef(ref: Pick<ObjectRef, "kind" | "namespace" | "name">): string {
  return ref.namespace ? `${ref.kind}/${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`;
}
