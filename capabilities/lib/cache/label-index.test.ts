import { LabelIndex } from "./label-index";
import { ObjectCache, type Labels } from "./object-cache";

interface Obj {
  metadata: { name: string; resourceVersion?: string; labels?: Record<string, string> };
}

const names = (objs: Obj[]): string[] => objs.map(o => o.metadata.name).sort();

describe("LabelIndex", () => {
  test("indexes a key once, when a selection first names it, and keeps it current after", () => {
    const index = new LabelIndex();
    const objects = new Map<string, Labels>([
      ["/a", { sync: "s1" }],
      ["/b", { sync: "s2", shard: "x" }],
    ]);
    let scans = 0;
    const all = () => {
      scans++;
      return objects.entries();
    };
    expect([...index.candidates({ sync: "s1" }, all)!]).toEqual(["/a"]);
    index.stored("/c", undefined, { sync: "s1" });
    index.stored("/a", { sync: "s1" }, { sync: "s2" });
    expect([...index.candidates({ sync: "s1" }, all)!]).toEqual(["/c"]);
    expect([...index.candidates({ sync: "s2" }, all)!].sort()).toEqual(["/a", "/b"]);
    index.removed("/b", { sync: "s2", shard: "x" });
    expect([...index.candidates({ sync: "s2" }, all)!]).toEqual(["/a"]);
    expect(scans).toBe(1);
    // A key not indexed before costs one scan; an unknown value matches nothing.
    expect([...index.candidates({ shard: "x" }, all)!]).toEqual(["/b"]);
    expect(index.candidates({ sync: "nope" }, all)!.size).toBe(0);
    expect(scans).toBe(2);
    expect(index.candidates({}, all)).toBeUndefined();
  });
});

describe("ObjectCache.select through the index", () => {
  // Every path that changes what the cache holds, in random order, checked against a full scan.
  test("answers as a scan of every object would, whatever the events did to the labels", () => {
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const labelsOf = (): Labels => {
      const l: Labels = {};
      if (random(4) > 0) l.sync = `s${random(5)}`;
      if (random(2) > 0) l.shard = `h${random(2)}`;
      return l;
    };
    const cache = new ObjectCache<Obj>({ keep: o => o.metadata.labels?.shard !== "h9" });
    const model = new Map<string, Obj>();
    const selectors: Labels[] = [
      { sync: "s1" },
      { sync: "s3", shard: "h1" },
      { shard: "h0" },
      {},
      { sync: "s9" },
    ];
    let rv = 0;
    for (let step = 0; step < 3000; step++) {
      const name = `o${random(40)}`;
      const o: Obj = { metadata: { name, resourceVersion: String(++rv), labels: labelsOf() } };
      const op = random(10);
      if (op < 5) {
        cache.observe("MODIFIED", o);
        model.set(name, o);
      } else if (op < 7) {
        cache.observe("DELETED", o);
        model.delete(name);
      } else if (op < 8) {
        // Leaves the shard: dropped.
        o.metadata.labels = { ...o.metadata.labels, shard: "h9" };
        cache.observe("MODIFIED", o);
        model.delete(name);
      } else if (op < 9) {
        cache.forget(name);
        model.delete(name);
      } else {
        // A complete LIST of one selection: what it lacks within that selection is gone.
        const sel = selectors[random(3)];
        const listed = [...model.values()].filter(m => random(3) > 0 && matches(m, sel));
        const p = cache.beginPrime(sel);
        cache.completePrime(p, listed);
        for (const [k, m] of model) if (matches(m, sel) && !listed.includes(m)) model.delete(k);
      }
      const sel = selectors[random(selectors.length)];
      expect(names(cache.select(sel))).toEqual(
        names([...model.values()].filter(m => matches(m, sel))),
      );
    }
  });
});

function matches(o: Obj, selector: Labels): boolean {
  return Object.entries(selector).every(([k, v]) => o.metadata.labels?.[k] === v);
}
