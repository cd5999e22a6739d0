import type { Labels } from "./object-cache";

/**
 * Which of a cache's objects carry a label value, for the label keys selections have asked about.
 * Without it every selection scanned the whole cache: each of 5,000 syncs listing its own
 * VidraResources on every poll compared 5,000 × 5,000 label sets per interval, about 60 % of the
 * watcher's CPU at steady state (a CPU profile of the 5,000-sync benchmark, BENCHMARKS.md 5b).
 * A key is indexed the first time a selection names it (one scan), and kept current from then on,
 * so labels nobody selects on cost no memory.
 */
export class LabelIndex {
  /** label key → label value → keys of the objects carrying it. */
  private readonly byKey = new Map<string, Map<string, Set<string>>>();

  /**
   * The keys of the objects that may match `selector` (a superset: the caller still checks every
   * label), or undefined when the selector is empty (every object may). `all` lists every object's
   * key and labels, for indexing a key not seen before.
   */
  candidates(
    selector: Labels,
    all: () => Iterable<[string, Labels | undefined]>,
  ): Set<string> | undefined {
    let smallest: Set<string> | undefined;
    for (const [key, value] of Object.entries(selector)) {
      const found = this.indexed(key, all).get(value);
      if (!found) return new Set();
      if (!smallest || found.size < smallest.size) smallest = found;
    }
    return smallest;
  }

  /** An object was stored under `objectKey` (its labels were `before`, undefined when new). */
  stored(objectKey: string, before: Labels | undefined, after: Labels | undefined): void {
    for (const [key, values] of this.byKey) {
      const was = before?.[key];
      const is = after?.[key];
      if (was === is) continue;
      if (was !== undefined) this.drop(values, was, objectKey);
      if (is !== undefined) this.add(values, is, objectKey);
    }
  }

  /** The object stored under `objectKey` with these labels left the cache. */
  removed(objectKey: string, labels: Labels | undefined): void {
    if (!labels) return;
    for (const [key, values] of this.byKey) {
      const was = labels[key];
      if (was !== undefined) this.drop(values, was, objectKey);
    }
  }

  private indexed(
    key: string,
    all: () => Iterable<[string, Labels | undefined]>,
  ): Map<string, Set<string>> {
    let values = this.byKey.get(key);
    if (!values) {
      values = new Map();
      for (const [objectKey, labels] of all()) {
        const value = labels?.[key];
        if (value !== undefined) this.add(values, value, objectKey);
      }
      this.byKey.set(key, values);
    }
    return values;
  }

  private add(values: Map<string, Set<string>>, value: string, objectKey: string): void {
    let keys = values.get(value);
    if (!keys) values.set(value, (keys = new Set()));
    keys.add(objectKey);
  }

  private drop(values: Map<string, Set<string>>, value: string, objectKey: string): void {
    const keys = values.get(value);
    if (!keys) return;
    keys.delete(objectKey);
    if (keys.size === 0) values.delete(value);
  }
}
