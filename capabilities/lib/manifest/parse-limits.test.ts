import { ManifestError } from "./manifest-error";
import { parseManifest, ParseOptions } from "./parse";

function parseError(content: string, opts?: ParseOptions): ManifestError {
  try {
    parseManifest(content, opts);
  } catch (err) {
    if (err instanceof ManifestError) return err;
    throw err;
  }
  throw new Error("expected parseManifest to throw");
}

const head = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\n";

/** The classic: 9 levels of 9 aliases each, 9^9 ≈ 387 million strings once expanded. */
const BILLION_LAUGHS =
  head +
  "data:\n" +
  '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' +
  "  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n" +
  "  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n" +
  "  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n" +
  "  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n" +
  "  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n" +
  "  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n" +
  "  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n" +
  "  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";

describe("parseManifest: limits", () => {
  it("refuses a billion-laughs document by its expanded size, without expanding it", () => {
    const err = parseError(BILLION_LAUGHS);
    expect(err.message).toBe(
      "document 1: makes the manifest expand to more than 1000000 YAML nodes (the limit); " +
        'aliases (*name) repeating large anchors multiply the size ("billion laughs")',
    );
    expect(err.document).toBe(1);
  });

  it("counts the node budget over the whole manifest, not per document", () => {
    const doc = `${head}data: {${Array.from({ length: 40 }, (_, i) => `k${i}: v`).join(", ")}}\n`;
    // 46 nodes each: the root, apiVersion, kind, metadata and its name, data and its 40 values.
    expect(parseManifest(`${doc}---\n${doc}`, { maxNodes: 92 })).toHaveLength(2);
    const err = parseError(`${doc}---\n${doc}---\n${doc}`, { maxNodes: 100 });
    expect(err.message).toMatch(
      /^document 3: makes the manifest expand to more than 100 YAML nodes/,
    );
  });

  it("refuses more aliases to mappings and sequences than allowed", () => {
    const doubling = Array.from(
      { length: 60 },
      (_, i) => `  l${i + 1}: &l${i + 1} [*l${i}, *l${i}]\n`,
    ).join("");
    const err = parseError(`${head}data:\n  l0: &l0 [x]\n${doubling}`, { maxAliases: 100 });
    expect(err.message).toBe(
      "document 1: uses more than 100 YAML aliases (*name) to mappings or sequences (limit per manifest)",
    );
    const few = `${head}x: &x {a: 1}\ny: [*x, *x, *x]\n`;
    expect(parseManifest(few, { maxAliases: 3 })).toHaveLength(1);
    expect(parseError(few, { maxAliases: 2 }).message).toMatch(/more than 2 YAML aliases/);
  });

  it("accepts the many small aliases a generator writes for repeated label maps", () => {
    const deployment = (i: number) =>
      `---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d${i}\n  labels: &l${i}\n    app: d${i}\n` +
      `spec:\n  selector:\n    matchLabels: *l${i}\n  template:\n    metadata:\n      labels: *l${i}\n`;
    const manifest = Array.from({ length: 400 }, (_, i) => deployment(i)).join("");
    expect(parseManifest(manifest)).toHaveLength(400);
  });

  it("refuses nesting made deep by chaining aliases", () => {
    const chain = Array.from({ length: 120 }, (_, i) => `n${i + 1}: &n${i + 1} [*n${i}]\n`).join(
      "",
    );
    const err = parseError(`${head}n0: &n0 [x]\n${chain}`, { maxAliases: 1000 });
    expect(err.message).toBe(
      "document 1: is nested more than 100 levels deep once aliases are expanded",
    );
  });

  it("refuses an alias inside its own anchor (a cycle)", () => {
    expect(parseError(`${head}spec: &a {self: *a}\n`).message).toBe(
      "document 1: has an alias (*name) inside the mapping or sequence its anchor names (a cycle)",
    );
  });

  it("reports plain nesting deeper than maxDepth as a problem of that document", () => {
    const deep = (levels: number): string =>
      `${head}spec: ${"[".repeat(levels)}${"]".repeat(levels)}\n`;
    expect(parseManifest(deep(95))).toHaveLength(1);
    const err = parseError(`${head}---\n${deep(150)}`);
    expect(err.problems).toEqual([
      expect.stringMatching(/^document 2: nested more than 100 levels deep at line 8, column \d+$/),
    ]);
    expect(parseError(deep(20), { maxDepth: 10 }).problems[0]).toMatch(
      /^document 1: nested more than 10 levels deep/,
    );
  });

  it("refuses a manifest over the byte limit, in MiB or KiB", () => {
    const big = `${head}data:\n  x: "${"a".repeat(Math.round(5.2 * 1024 * 1024))}"\n`;
    expect(parseError(big).message).toBe("manifest is 5.2 MiB, over the 4 MiB limit");
    expect(parseError(big).document).toBeUndefined();
    expect(parseError(`${head}data: {x: "${"é".repeat(700)}"}\n`, { maxBytes: 1024 }).message).toBe(
      "manifest is 1.4 KiB, over the 1 KiB limit",
    );
    expect(parseError("x".repeat(1025), { maxBytes: 1024 }).message).toBe(
      "manifest is 1025 bytes, over the 1024 bytes (1 KiB) limit",
    );
  });

  it("refuses more objects than allowed, counting List items", () => {
    const item = (n: number): string =>
      `- {apiVersion: v1, kind: ConfigMap, metadata: {name: c${n}}}\n`;
    const list = `apiVersion: v1\nkind: List\nitems:\n${[1, 2, 3, 4, 5, 6].map(item).join("")}`;
    expect(parseManifest(list, { maxObjects: 6 })).toHaveLength(6);
    expect(parseError(list, { maxObjects: 5 }).message).toBe(
      "manifest has more than 5 objects (the limit)",
    );
  });

  it("refuses more documents than allowed before parsing them", () => {
    const docs = Array.from({ length: 7 }, (_, i) => `${head.replace("bomb", `c${i}`)}`).join(
      "---\n",
    );
    expect(parseError(docs, { maxObjects: 6 }).message).toBe(
      "manifest has 7 documents, over the limit of 6",
    );
  });
});
