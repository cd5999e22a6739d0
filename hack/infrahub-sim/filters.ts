/**
 * Infrahub's generated list filters (`graphql/manager.py::generate_filters`) compiled into one
 * predicate per request. Argument names are `<attr>__<op>`, `<rel>__ids|isnull` and
 * `<rel>__<peerAttr>__<op>`; attribute names never contain a double underscore, so splitting on
 * "__" recovers the parts.
 */

type Pred<T> = (node: T) => boolean;

export interface RelationSpec<T> {
  /** The peer's id, or null when the relationship is empty. */
  id: (node: T) => string | null;
  attrs: Record<string, (node: T) => unknown>;
}

export interface FilterSpec<T> {
  attrs: Record<string, (node: T) => unknown>;
  /** Attributes searched by `any__value` / `any__values`. */
  textAttrs: readonly string[];
  rels: Record<string, RelationSpec<T>>;
}

/** Relationships nobody is part of in the simulator (no groups exist). */
export const EMPTY_GROUP_RELATION: RelationSpec<unknown> = {
  id: () => null,
  attrs: {
    display_label: () => null,
    name: () => null,
    label: () => null,
    description: () => null,
    group_type: () => null,
  },
};

const NEVER = (): boolean => false;
const NOT_FILTERS = new Set(["offset", "limit", "partial_match", "order"]);

/**
 * Builds the predicate for a field's arguments. Null arguments mean "no filter" (Infrahub skips
 * filters whose value is None); an empty list matches nothing (`ids: []`, `name__values: []`,
 * `object__ids: []` all answer count 0 on infrahub-server 1.11.9).
 */
export function compileFilter<T>(spec: FilterSpec<T>, args: Record<string, unknown>): Pred<T> {
  const partial = args.partial_match === true;
  const preds: Pred<T>[] = [];
  for (const [key, value] of Object.entries(args)) {
    if (NOT_FILTERS.has(key) || value === null || value === undefined) continue;
    const pred = keyPredicate(spec, key, value, partial);
    if (pred) preds.push(pred);
  }
  if (preds.length === 0) return () => true;
  if (preds.length === 1) return preds[0];
  return node => preds.every(p => p(node));
}

function keyPredicate<T>(
  spec: FilterSpec<T>,
  key: string,
  value: unknown,
  partial: boolean,
): Pred<T> | null {
  if (key === "ids") return idsPredicate(n => (n as unknown as { id: string }).id, value);
  const parts = key.split("__");
  const head = parts[0];
  if (head === "any") return anyPredicate(spec, parts.slice(1).join("__"), value, partial);
  const attr = spec.attrs[head];
  if (attr) return attrPredicate(attr, parts.slice(1).join("__"), value, partial);
  const rel = spec.rels[head];
  if (!rel) return null;
  const op = parts[1];
  if (op === "ids") return idsPredicate(rel.id, value);
  if (op === "isnull") return n => (rel.id(n) === null) === Boolean(value);
  const peerAttr = rel.attrs[op];
  if (!peerAttr) return null;
  return attrPredicate(peerAttr, parts.slice(2).join("__"), value, partial);
}

function idsPredicate<T>(getId: (n: T) => string | null, value: unknown): Pred<T> {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) return NEVER;
  const wanted = new Set(list.map(String));
  return n => {
    const id = getId(n);
    return id !== null && wanted.has(id);
  };
}

function attrPredicate<T>(
  get: (n: T) => unknown,
  op: string,
  value: unknown,
  partial: boolean,
): Pred<T> | null {
  switch (op) {
    case "value":
      return n => matches(get(n), value, partial);
    case "values": {
      const list = Array.isArray(value) ? value : [value];
      if (list.length === 0) return NEVER;
      return n => list.some(v => matches(get(n), v, false));
    }
    case "isnull":
      return n => (get(n) === null || get(n) === undefined) === Boolean(value);
    // Attributes are never protected here, and have no source or owner.
    case "is_protected":
      return value === false ? null : NEVER;
    case "source__id":
    case "owner__id":
      return NEVER;
    default:
      return null;
  }
}

function anyPredicate<T>(
  spec: FilterSpec<T>,
  op: string,
  value: unknown,
  partial: boolean,
): Pred<T> | null {
  const getters = spec.textAttrs.map(name => spec.attrs[name]);
  if (op === "value") return n => getters.some(g => matches(g(n), value, partial));
  if (op === "values") {
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0) return NEVER;
    return n => getters.some(g => list.some(v => matches(g(n), v, false)));
  }
  return attrPredicate(() => null, op, value, partial);
}

/** `partial_match` turns text equality into a case-insensitive substring test (as on 1.11.9). */
function matches(actual: unknown, expected: unknown, partial: boolean): boolean {
  if (actual === null || actual === undefined) return false;
  if (typeof actual === "string" && typeof expected === "string") {
    return partial ? actual.toLowerCase().includes(expected.toLowerCase()) : actual === expected;
  }
  return JSON.stringify(actual) === JSON.stringify(expected);
}

/**
 * `count` is the number of matches ignoring offset/limit; no limit, or limit 0, returns
 * everything. A negative limit or offset fails like `validate_offset_and_limit` (limit first).
 * @throws Error with Infrahub's message, which GraphQL reports as a field error
 */
export function paginate<T, E>(
  items: readonly T[],
  args: Record<string, unknown>,
  toEdge: (item: T) => E,
): { count: number; edges: E[] } {
  const limit = typeof args.limit === "number" ? args.limit : undefined;
  const offset = typeof args.offset === "number" ? args.offset : undefined;
  if (limit !== undefined && limit < 0) throw new Error("limit must be a non-negative integer");
  if (offset !== undefined && offset < 0) throw new Error("offset must be a non-negative integer");
  const from = offset ?? 0;
  const page = items.slice(from, limit ? from + limit : undefined);
  return { count: items.length, edges: page.map(toEdge) };
}
