import { ObjectCache } from "./object-cache";

interface Obj {
  metadata: { name: string; resourceVersion?: string; labels?: Record<string, string> };
  spec?: { v?: number; big?: string };
}

const obj = (name: string, rv: string, labels: Record<string, string> = {}, v = 0): Obj => ({
  metadata: { name, resourceVersion: rv, labels },
  spec: { v },
});

describe("ObjectCache", () => {
  test("keeps what watch events report, and forgets deleted objects", () => {
    const c = new ObjectCache<Obj>();
    c.observe("ADDED", obj("a", "1"));
    c.observe("MODIFIED", obj("a", "2", {}, 7));
    expect(c.get("a")?.spec?.v).toBe(7);
    c.observe("DELETED", obj("a", "3"));
    expect(c.get("a")).toBeUndefined();
    expect(c.size).toBe(0);
  });

  test("a selection is complete only after a LIST of it was taken in", () => {
    const c = new ObjectCache<Obj>();
    const sel = { sync: "s1" };
    c.observe("ADDED", obj("a", "1", { sync: "s1" }));
    expect(c.isPrimed(sel)).toBe(false);
    const p = c.beginPrime(sel);
    c.completePrime(p, [obj("a", "1", { sync: "s1" }), obj("b", "1", { sync: "s1" })]);
    expect(c.isPrimed(sel)).toBe(true);
    expect(c.isPrimed({ sync: "s2" })).toBe(false);
    expect(
      c
        .select(sel)
        .map(o => o.metadata.name)
        .sort(),
    ).toEqual(["a", "b"]);
  });

  test("events during a LIST win over it: a newer version or a deletion is not undone", () => {
    const c = new ObjectCache<Obj>();
    const sel = { sync: "s1" };
    const p = c.beginPrime(sel);
    c.observe("MODIFIED", obj("a", "5", { sync: "s1" }, 5));
    c.observe("ADDED", obj("gone", "6", { sync: "s1" }));
    c.observe("DELETED", obj("gone", "7", { sync: "s1" }));
    c.completePrime(p, [obj("a", "4", { sync: "s1" }, 4), obj("gone", "6", { sync: "s1" })]);
    expect(c.get("a")?.spec?.v).toBe(5);
    expect(c.get("gone")).toBeUndefined();
  });

  test("a complete LIST removes what it lacks, but only within its selection", () => {
    const c = new ObjectCache<Obj>();
    c.observe("ADDED", obj("old", "1", { sync: "s1" }));
    c.observe("ADDED", obj("other", "1", { sync: "s2" }));
    c.completePrime(c.beginPrime({ sync: "s1" }), []);
    expect(c.get("old")).toBeUndefined();
    expect(c.get("other")).toBeDefined();
  });

  test("an aborted LIST leaves the selection incomplete", () => {
    const c = new ObjectCache<Obj>();
    const p = c.beginPrime({ sync: "s1" });
    c.abortPrime(p);
    expect(c.isPrimed({ sync: "s1" })).toBe(false);
  });

  test("objects outside the shard are not kept, and one that leaves it is dropped", () => {
    const c = new ObjectCache<Obj>({ keep: o => o.metadata.labels?.shard === "a" });
    c.observe("ADDED", obj("x", "1", { shard: "a" }));
    c.observe("ADDED", obj("y", "1", { shard: "b" }));
    expect(c.get("x")).toBeDefined();
    expect(c.get("y")).toBeUndefined();
    c.observe("MODIFIED", obj("x", "2", { shard: "b" }));
    expect(c.get("x")).toBeUndefined();
  });

  test("keeps only the projection", () => {
    const c = new ObjectCache<Obj>({
      project: o => ({ ...o, spec: { v: o.spec?.v } }),
    });
    c.observe("ADDED", { metadata: { name: "a" }, spec: { v: 1, big: "x".repeat(1000) } });
    expect(c.get("a")?.spec).toEqual({ v: 1 });
  });

  test("a live read fills a miss, but never replaces what an event brought meanwhile", () => {
    const c = new ObjectCache<Obj>();
    c.fill(obj("a", "1", {}, 1));
    expect(c.get("a")?.spec?.v).toBe(1);
    c.observe("MODIFIED", obj("a", "2", {}, 2));
    c.fill(obj("a", "1", {}, 1));
    expect(c.get("a")?.spec?.v).toBe(2);
  });

  test("a write's answer replaces the version it was made from, never a newer one", () => {
    const c = new ObjectCache<Obj>();
    c.observe("ADDED", obj("a", "1", {}, 1));
    c.written(obj("a", "2", {}, 2), "1");
    expect(c.get("a")?.metadata.resourceVersion).toBe("2");
    c.observe("MODIFIED", obj("a", "4", {}, 4));
    c.written(obj("a", "3", {}, 3), "2");
    expect(c.get("a")?.metadata.resourceVersion).toBe("4");
    // Deleted meanwhile: the answer does not bring it back.
    c.observe("DELETED", obj("a", "5"));
    c.written(obj("a", "6"), "4");
    expect(c.get("a")).toBeUndefined();
  });

  test("forgetting a stale object makes its selections incomplete again", () => {
    const c = new ObjectCache<Obj>();
    c.completePrime(c.beginPrime({ sync: "s1" }), [obj("a", "1", { sync: "s1" })]);
    c.completePrime(c.beginPrime({ sync: "s2" }), []);
    c.forget("a");
    expect(c.get("a")).toBeUndefined();
    expect(c.isPrimed({ sync: "s1" })).toBe(false);
    expect(c.isPrimed({ sync: "s2" })).toBe(true);
  });

  test("keeps no managed fields or last-applied annotation, from any path in, and changes no input", () => {
    type Full = Obj & {
      metadata: Obj["metadata"] & {
        managedFields?: unknown[];
        annotations?: Record<string, string>;
      };
    };
    const full = (name: string, rv: string): Full => ({
      metadata: {
        name,
        resourceVersion: rv,
        labels: { sync: "s1" },
        managedFields: [{ manager: "kubectl", fieldsV1: { "f:spec": {} } }],
        annotations: {
          "kubectl.kubernetes.io/last-applied-configuration": '{"spec":{"big":"x"}}',
          "infrahub.operators.com/sync-now": "1",
        },
      },
      spec: { v: 1 },
    });
    const c = new ObjectCache<Full>({ project: o => ({ ...o, spec: { v: 2 } }) });
    const event = full("a", "1");
    c.observe("ADDED", event);
    c.completePrime(c.beginPrime({ sync: "s1" }), [full("a", "1"), full("b", "1")]);
    c.fill(full("c", "1"));
    c.written(full("a", "2"), "1");
    for (const name of ["a", "b", "c"]) {
      const kept = c.get(name)!;
      expect(kept.metadata.managedFields).toBeUndefined();
      expect(kept.metadata.annotations).toEqual({ "infrahub.operators.com/sync-now": "1" });
      expect(kept.spec?.v).toBe(2);
    }
    expect(c.get("a")?.metadata.resourceVersion).toBe("2");
    expect(event.metadata.managedFields).toHaveLength(1);
    expect(Object.keys(event.metadata.annotations!)).toHaveLength(2);
  });
});
