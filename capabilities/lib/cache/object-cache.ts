import { withoutBookkeeping } from "./bookkeeping";
import { LabelIndex } from "./label-index";

/** What the cache needs of an object. */
export interface Cacheable {
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
  };
}

export type Labels = Record<string, string>;
export type CacheEventType = "ADDED" | "MODIFIED" | "DELETED" | string;

export interface ObjectCacheOptions<T extends Cacheable> {
  /** The objects this process reads (a shard's); any other is not kept. Default: all. */
  keep?: (obj: T) => boolean;
  /**
   * What is kept of an object (leave out what no reader needs: memory). Default: all of it but its
   * managed fields and last-applied annotation, which are never kept.
   */
  project?: (obj: T) => T;
}

/** A list being taken in: the keys that watch events touched while it was on its way. */
interface Priming {
  selector: Labels;
  touched: Set<string>;
}

const keyOf = (namespace: string | undefined, name: string): string => `${namespace ?? ""}/${name}`;
const objectKey = (o: Cacheable): string => keyOf(o.metadata?.namespace, o.metadata?.name ?? "");
const matches = (o: Cacheable, selector: Labels): boolean =>
  Object.entries(selector).every(([k, v]) => o.metadata?.labels?.[k] === v);
const selectorKey = (selector: Labels): string =>
  JSON.stringify(Object.entries(selector).sort(([a], [b]) => a.localeCompare(b)));

/**
 * One collection's objects as its watch last reported them. What the cache does not hold is
 * unknown, not gone: a selection (label equality) counts as complete only once a full LIST of it
 * has been taken in (`beginPrime`/`completePrime`), after which watch events keep it current.
 * Events that arrive while a LIST is on its way win over that LIST, which may be older.
 */
export class ObjectCache<T extends Cacheable> {
  private readonly objects = new Map<string, T>();
  private readonly primed = new Map<string, Labels>();
  private readonly priming = new Set<Priming>();
  private readonly index = new LabelIndex();

  constructor(private readonly opts: ObjectCacheOptions<T> = {}) {}

  private kept(o: T): boolean {
    return this.opts.keep ? this.opts.keep(o) : true;
  }

  private store(key: string, o: T): void {
    const kept = withoutBookkeeping(o);
    const stored = this.opts.project ? this.opts.project(kept) : kept;
    const before = this.objects.get(key);
    this.objects.set(key, stored);
    this.index.stored(key, before?.metadata?.labels, stored.metadata?.labels);
  }

  private delete(key: string): void {
    const o = this.objects.get(key);
    if (!o) return;
    this.objects.delete(key);
    this.index.removed(key, o.metadata?.labels);
  }

  private touch(key: string): void {
    for (const p of this.priming) p.touched.add(key);
  }

  /** A watch event (every event, status changes included). */
  observe(type: CacheEventType, obj: T): void {
    if (!obj.metadata?.name) return;
    const key = objectKey(obj);
    this.touch(key);
    if (type === "DELETED" || !this.kept(obj)) this.delete(key);
    else this.store(key, obj);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(keyOf(namespace, name));
  }

  /** The objects carrying every label of `selector`; complete only when `isPrimed(selector)`. */
  select(selector: Labels): T[] {
    const keys = this.index.candidates(selector, () => this.labelsByKey());
    const pool = keys ? [...keys].map(k => this.objects.get(k)) : [...this.objects.values()];
    return pool.filter((o): o is T => !!o && matches(o, selector));
  }

  private *labelsByKey(): Iterable<[string, Labels | undefined]> {
    for (const [key, o] of this.objects) yield [key, o.metadata?.labels];
  }

  isPrimed(selector: Labels): boolean {
    return this.primed.has(selectorKey(selector));
  }

  beginPrime(selector: Labels): Priming {
    const p: Priming = { selector, touched: new Set() };
    this.priming.add(p);
    return p;
  }

  /** Takes in a complete LIST of the selection; objects it lacks (and no event touched) are gone. */
  completePrime(p: Priming, items: T[]): void {
    this.priming.delete(p);
    const listed = new Set<string>();
    for (const item of items) {
      const key = objectKey(item);
      listed.add(key);
      if (!p.touched.has(key) && this.kept(item)) this.store(key, item);
    }
    for (const o of this.select(p.selector)) {
      const key = objectKey(o);
      if (!listed.has(key) && !p.touched.has(key)) this.delete(key);
    }
    this.primed.set(selectorKey(p.selector), p.selector);
  }

  abortPrime(p: Priming): void {
    this.priming.delete(p);
  }

  /** An object read live because the cache lacked it; an event that came meanwhile wins. */
  fill(obj: T): void {
    const key = objectKey(obj);
    if (!this.objects.has(key) && this.kept(obj)) this.store(key, obj);
  }

  /**
   * The answer to a write made from the cached version `readVersion`: taken in only while the
   * cache still holds that version (a watch event newer than the read is never replaced).
   */
  written(obj: T, readVersion: string | undefined): void {
    const key = objectKey(obj);
    const cached = this.objects.get(key);
    if (cached && readVersion && cached.metadata?.resourceVersion === readVersion)
      this.store(key, obj);
  }

  /**
   * A write refused because the cached version was stale: the object is read live next time, and
   * the selections it belongs to are listed again.
   */
  forget(name: string, namespace?: string): void {
    const key = keyOf(namespace, name);
    const o = this.objects.get(key);
    this.delete(key);
    if (!o) return;
    for (const [k, selector] of this.primed) if (matches(o, selector)) this.primed.delete(k);
  }

  /** Leaves every selection to be listed again (e.g. after the shard's selector changed). */
  unprimeAll(): void {
    this.primed.clear();
  }

  get size(): number {
    return this.objects.size;
  }
}
