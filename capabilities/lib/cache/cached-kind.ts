import type { KubeClient } from "../kube/client";
import type { Cacheable, Labels, ObjectCache } from "./object-cache";

const labelSelector = (selector: Labels): string =>
  Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

/**
 * Reads of one cluster-scoped collection: from the cache where it knows the answer, live otherwise (and what the
 * live read saw goes into the cache). Without a cache every read is live (the CLI, unit tests).
 * Callers get copies: what they change does not change the cache.
 */
export class CachedKind<T extends Cacheable> {
  constructor(
    private readonly kube: KubeClient,
    private readonly collectionPath: string,
    readonly cache?: ObjectCache<T>,
  ) {}

  /** The object, or undefined when it does not exist (a cache miss is checked live). */
  async get(name: string): Promise<T | undefined> {
    const hit = this.cache?.get(name);
    if (hit) return structuredClone(hit);
    const live = await this.kube.getOptional<T>(
      `${this.collectionPath}/${encodeURIComponent(name)}`,
    );
    if (live) this.cache?.fill(structuredClone(live));
    return live;
  }

  /** Every object carrying the labels of `selector` (listed live until the cache has them all). */
  async list(selector: Labels): Promise<T[]> {
    if (this.cache?.isPrimed(selector))
      return this.cache.select(selector).map(o => structuredClone(o));
    const priming = this.cache?.beginPrime(selector);
    try {
      const { items } = await this.kube.list<T>(this.collectionPath, {
        labelSelector: labelSelector(selector),
      });
      if (priming) this.cache?.completePrime(priming, structuredClone(items));
      return items;
    } catch (err) {
      if (priming) this.cache?.abortPrime(priming);
      throw err;
    }
  }

  /** Always live: for a read right after this process wrote, which the watch may not show yet. */
  async listLive(selector: Labels): Promise<T[]> {
    const { items } = await this.kube.list<T>(this.collectionPath, {
      labelSelector: labelSelector(selector),
    });
    return items;
  }
}
