import { EMPTY_GROUP_RELATION, compileFilter, paginate, type FilterSpec } from "./filters";

interface Row {
  id: string;
  name: string | null;
  peer: string | null;
}

const spec: FilterSpec<Row> = {
  attrs: { name: r => r.name },
  textAttrs: ["name"],
  rels: {
    peer: { id: r => r.peer, attrs: { name: r => (r.peer ? `peer-of-${r.id}` : null) } },
    member_of_groups: EMPTY_GROUP_RELATION,
  },
};
const rows: Row[] = [
  { id: "1", name: "alpha", peer: "p1" },
  { id: "2", name: "beta", peer: null },
  { id: "3", name: null, peer: "p3" },
];
const ids = (args: Record<string, unknown>) =>
  rows.filter(compileFilter(spec, args)).map(r => r.id);

describe("compileFilter", () => {
  it("ignores null values and pagination arguments", () => {
    expect(ids({ name__value: null, offset: 1, limit: 1 })).toEqual(["1", "2", "3"]);
  });

  // infrahub-server 1.11.9 answers count 0 to ids: [], name__values: [] and object__ids: []
  // (contract cases filter/ids-empty, filter/name-values-empty, filter/object-ids-empty).
  it("matches nothing for an empty list", () => {
    expect(ids({ ids: [] })).toEqual([]);
    expect(ids({ name__values: [] })).toEqual([]);
    expect(ids({ peer__ids: [] })).toEqual([]);
    expect(ids({ any__values: [] })).toEqual([]);
  });

  it("implements value, values, isnull, ids and partial_match", () => {
    expect(ids({ name__value: "beta" })).toEqual(["2"]);
    expect(ids({ name__values: ["alpha", "beta"] })).toEqual(["1", "2"]);
    expect(ids({ name__values: "alpha" })).toEqual(["1"]);
    expect(ids({ name__isnull: true })).toEqual(["3"]);
    expect(ids({ name__isnull: false })).toEqual(["1", "2"]);
    expect(ids({ ids: ["3", "1"] })).toEqual(["1", "3"]);
    expect(ids({ name__value: "lph", partial_match: true })).toEqual(["1"]);
    expect(ids({ name__value: "LPH", partial_match: true })).toEqual(["1"]);
    expect(ids({ name__value: "LPH" })).toEqual([]);
    expect(ids({ any__value: "beta" })).toEqual(["2"]);
  });

  it("filters on relationships and their peers' attributes", () => {
    expect(ids({ peer__ids: ["p3"] })).toEqual(["3"]);
    expect(ids({ peer__isnull: true })).toEqual(["2"]);
    expect(ids({ peer__name__value: "peer-of-1" })).toEqual(["1"]);
    expect(ids({ member_of_groups__ids: ["g"] })).toEqual([]);
  });

  it("knows attributes are unprotected and have no source or owner", () => {
    expect(ids({ name__is_protected: false })).toEqual(["1", "2", "3"]);
    expect(ids({ name__is_protected: true })).toEqual([]);
    expect(ids({ name__source__id: "x" })).toEqual([]);
  });
});

describe("paginate", () => {
  it("counts every match and slices by offset and limit", () => {
    const items = ["a", "b", "c", "d"];
    expect(paginate(items, {}, x => x)).toEqual({ count: 4, edges: ["a", "b", "c", "d"] });
    expect(paginate(items, { offset: 1, limit: 2 }, x => x)).toEqual({
      count: 4,
      edges: ["b", "c"],
    });
    expect(paginate(items, { offset: 3, limit: 10 }, x => x)).toEqual({ count: 4, edges: ["d"] });
    expect(paginate(items, { offset: 9 }, x => x)).toEqual({ count: 4, edges: [] });
  });

  it("reads limit 0 as no limit, like infrahub-server 1.11.9", () => {
    expect(paginate(["a", "b", "c"], { limit: 0, offset: 1 }, x => x)).toEqual({
      count: 3,
      edges: ["b", "c"],
    });
  });

  it("refuses a negative limit (checked first) or offset with Infrahub's messages", () => {
    expect(() => paginate([], { offset: -2, limit: -1 }, x => x)).toThrow(
      "limit must be a non-negative integer",
    );
    expect(() => paginate([], { offset: -2 }, x => x)).toThrow(
      "offset must be a non-negative integer",
    );
  });
});
