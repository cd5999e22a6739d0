import type { V1APIResourceList } from "@kubernetes/client-node";
import type { KubeClient } from "./client";
import { splitApiVersion } from "../manifest/ref";
import { KubeApiError } from "./errors";

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  verbs: string[];
}

/**
 * Maps (apiVersion, kind) to plural and scope through the API server's discovery documents, one
 * group-version at a time, cached. A miss refreshes that group-version once (a CRD applied a moment
 * ago), never more often than `missRefreshMs`, so a typo'd kind cannot hammer the server.
 * Why not client-node's KubernetesObjectApi.resource(): it keeps what it found forever (a CRD
 * removed or changed is never seen again), asks the server again on every miss (a request per
 * object of an unknown kind, per apply), and sends through its own agent, not the transport's.
 */
export class ResourceMapper {
  private readonly cache = new Map<
    string,
    { at: number; byKind: Map<string, ResourceInfo> | undefined }
  >();

  constructor(
    private readonly client: KubeClient,
    private readonly opts: { ttlMs?: number; missRefreshMs?: number; now?: () => number } = {},
  ) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private async fetch(apiVersion: string): Promise<Map<string, ResourceInfo> | undefined> {
    const { group, version } = splitApiVersion(apiVersion);
    const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
    let list: V1APIResourceList;
    try {
      list = await this.client.get<V1APIResourceList>(path);
    } catch (err) {
      if (err instanceof KubeApiError && err.notFound) {
        this.cache.set(apiVersion, { at: this.now(), byKind: undefined });
        return undefined;
      }
      throw err;
    }
    const byKind = new Map<string, ResourceInfo>();
    for (const r of list.resources ?? []) {
      if (r.name.includes("/")) continue; // subresources
      byKind.set(r.kind, {
        group,
        version,
        kind: r.kind,
        plural: r.name,
        namespaced: r.namespaced,
        verbs: r.verbs ?? [],
      });
    }
    this.cache.set(apiVersion, { at: this.now(), byKind });
    return byKind;
  }

  /** The resource for a kind, or undefined when the server does not serve it. */
  async resolve(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    const entry = this.cache.get(apiVersion);
    const age = entry ? this.now() - entry.at : Infinity;
    if (entry && age < (this.opts.ttlMs ?? 600_000)) {
      const hit = entry.byKind?.get(kind);
      if (hit || age < (this.opts.missRefreshMs ?? 5_000)) return hit;
    }
    return (await this.fetch(apiVersion))?.get(kind);
  }

  /** Forget everything (after applying CRDs, for instance). */
  invalidate(apiVersion?: string): void {
    if (apiVersion) this.cache.delete(apiVersion);
    else this.cache.clear();
  }
}
