import { ManifestError } from "./manifest-error";
import { ParseCache } from "./parse-cache";

const manifest = (name: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  a: "1"\n`;

// These texts are small: here the cache keeps texts of any size.
const all = { minChars: 0 };

describe("ParseCache", () => {
  it("hands the same text's objects to the next reader instead of parsing again", () => {
    const cache = new ParseCache(all);
    const first = cache.parse(manifest("a"), { maxBytes: 1000 });
    // Another string with the same content, as read back from the API server.
    const second = cache.parse(`${manifest("a")}`.slice(0));
    expect(second).toEqual(first);
    expect(second[0].object).toBe(first[0].object);
    // Each reader gets its own array.
    expect(second).not.toBe(first);
    expect(cache.parse(manifest("b"))[0].object.metadata.name).toBe("b");
  });

  it("still checks each reader's size limit on a hit", () => {
    const cache = new ParseCache(all);
    cache.parse(manifest("a"));
    expect(() => cache.parse(manifest("a"), { maxBytes: 10 })).toThrow(ManifestError);
  });

  it("parses again under other limits than the cached parse's", () => {
    const cache = new ParseCache(all);
    const text = `${manifest("a")}---\n${manifest("b")}`;
    expect(cache.parse(text)).toHaveLength(2);
    expect(() => cache.parse(text, { maxObjects: 1 })).toThrow(/over the limit of 1/);
  });

  it("keeps no failed parse: the error comes back every time", () => {
    const cache = new ParseCache(all);
    const bad = "apiVersion: v1\nkind: ConfigMap\n";
    expect(() => cache.parse(bad)).toThrow(ManifestError);
    expect(() => cache.parse(bad)).toThrow(ManifestError);
  });

  it("drops entries after their time and beyond its size budget", () => {
    let now = 0;
    const cache = new ParseCache({
      ...all,
      ttlMs: 1000,
      maxChars: 2 * manifest("a").length,
      now: () => now,
    });
    const a = cache.parse(manifest("a"));
    expect(cache.parse(manifest("a"))[0].object).toBe(a[0].object);
    now = 1001;
    expect(cache.parse(manifest("a"))[0].object).not.toBe(a[0].object);
    const a2 = cache.parse(manifest("a"));
    cache.parse(manifest("b"));
    cache.parse(manifest("c")); // over the budget: the oldest (a) goes
    expect(cache.parse(manifest("a"))[0].object).not.toBe(a2[0].object);
  });

  it("keeps at most maxEntries texts", () => {
    const cache = new ParseCache({ ...all, maxEntries: 2 });
    const a = cache.parse(manifest("a"));
    cache.parse(manifest("b"));
    expect(cache.parse(manifest("a"))[0].object).toBe(a[0].object);
    cache.parse(manifest("c")); // a third: the oldest (a) goes
    expect(cache.parse(manifest("a"))[0].object).not.toBe(a[0].object);
  });

  it("keeps no small text: parsing it again costs less than keeping it", () => {
    const cache = new ParseCache();
    const first = cache.parse(manifest("a"));
    expect(cache.parse(manifest("a"))[0].object).not.toBe(first[0].object);
    const big = `${manifest("a")}---\n${"# padding\n".repeat(7000)}`;
    const parsed = cache.parse(big);
    expect(cache.parse(big)[0].object).toBe(parsed[0].object);
  });
});
