import { ManifestError } from "./manifest-error";

/** Limits on what loaded documents may expand to; see ParseOptions. */
export interface ExpansionLimits {
  maxNodes: number;
  maxDepth: number;
  maxAliases: number;
}

interface Measure {
  size: number;
  height: number;
}

const LEAF: Measure = { size: 1, height: 0 };

/**
 * Guards against YAML bombs. js-yaml resolves an alias (`*a`) to the same JS object as its anchor, so
 * a "billion laughs" document loads in microseconds and only explodes when something walks or
 * serialises it. This measures each document as the graph it is (each distinct mapping/sequence once,
 * memoised), so the check costs the size of the input, not of the expansion, and fails before anything
 * expands it. One guard is used per manifest: node and alias budgets are for the whole manifest.
 *
 * Aliases are counted as references to a mapping or sequence already seen (including those shared by
 * merge keys); aliases of scalars are not counted, as they cannot grow beyond the input's size.
 */
export class ExpansionGuard {
  private nodes = 0;
  private aliases = 0;

  constructor(private readonly limits: ExpansionLimits) {}

  /**
   * Checks one loaded document and returns it as a plain tree (shared references copied, so later
   * edits to one place, like adding a label to metadata, cannot change another, like a selector),
   * plus the path of the first number JSON cannot carry (`.inf`, `.nan`), if any.
   * Throws ManifestError at the first limit exceeded.
   */
  admit(value: unknown, document: number): { value: unknown; nonFinitePath?: string } {
    const memo = new Map<object, Measure>();
    const open = new Set<object>();
    const path: string[] = [];
    let nonFinitePath: string | undefined;
    let shared = 0;
    const { maxDepth, maxAliases } = this.limits;
    const fail = (message: string): never => {
      throw new ManifestError([{ document, message }]);
    };

    const measure = (v: unknown, depth: number): Measure => {
      if (v === null || typeof v !== "object") {
        if (typeof v === "number" && !Number.isFinite(v) && nonFinitePath === undefined) {
          nonFinitePath = path.join(".") || "(document root)";
        }
        return LEAF;
      }
      const seen = memo.get(v);
      if (seen) {
        shared++;
        if (++this.aliases > maxAliases) {
          fail(
            `uses more than ${maxAliases} YAML aliases (*name) to mappings or sequences (limit per manifest)`,
          );
        }
        if (depth + seen.height > maxDepth)
          fail(`is nested more than ${maxDepth} levels deep once aliases are expanded`);
        return seen;
      }
      if (open.has(v))
        fail("has an alias (*name) inside the mapping or sequence its anchor names (a cycle)");
      if (depth + 1 > maxDepth) fail(`is nested more than ${maxDepth} levels deep`);
      open.add(v);
      let size = 1;
      let height = 0;
      const entries: Array<[string, unknown]> = Array.isArray(v)
        ? v.map((child, i) => [String(i), child])
        : Object.entries(v);
      for (const [key, child] of entries) {
        path.push(key);
        const m = measure(child, depth + 1);
        path.pop();
        size += m.size;
        height = Math.max(height, m.height);
      }
      open.delete(v);
      const result = { size, height: height + 1 };
      memo.set(v, result);
      return result;
    };

    const { size } = measure(value, 0);
    this.nodes += size;
    if (this.nodes > this.limits.maxNodes) {
      fail(
        `makes the manifest expand to more than ${this.limits.maxNodes} YAML nodes (the limit); ` +
          `aliases (*name) repeating large anchors multiply the size ("billion laughs")`,
      );
    }
    return { value: shared > 0 ? copyTree(value) : value, nonFinitePath };
  }
}

/** A deep copy with shared references duplicated; safe because admit() has bounded the result. */
function copyTree(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(copyTree);
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(v)) {
    // js-yaml stores a `__proto__` key as an own property; a plain assignment would set the prototype.
    Object.defineProperty(out, key, {
      value: copyTree(child),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
