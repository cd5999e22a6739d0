import { abSectionOf, withAbSection } from "./ab-section";

const doc = (...sections: string[]): string =>
  `# Benchmarks\n\n${sections.join("\n")}\n## Reproduce\n\n\`\`\`bash\nnpm run bench\n\`\`\`\n`;

describe("section 6 of BENCHMARKS.md", () => {
  it("goes before Reproduce when there is none, and replaces the old one otherwise", () => {
    const plain = doc("## 1. Bulk\n\nrows\n", "## 5. Scale\n\nrows\n");
    expect(abSectionOf(plain)).toBeUndefined();
    const once = withAbSection(plain, "## 6. A/B\n\nfirst\n");
    expect(once).toBe(doc("## 1. Bulk\n\nrows\n", "## 5. Scale\n\nrows\n", "## 6. A/B\n\nfirst\n"));
    const twice = withAbSection(once, "## 6. A/B\n\nsecond\n");
    expect(twice).toBe(
      doc("## 1. Bulk\n\nrows\n", "## 5. Scale\n\nrows\n", "## 6. A/B\n\nsecond\n"),
    );
    expect(abSectionOf(twice)).toBe("## 6. A/B\n\nsecond\n");
  });

  it("is carried over into a freshly written file (what a full `npm run bench` does)", () => {
    const old = doc("## 1. Bulk\n\nold rows\n", "## 6. A/B\n\nkept\n");
    const fresh = doc("## 1. Bulk\n\nnew rows\n");
    const kept = abSectionOf(old);
    expect(kept).toBe("## 6. A/B\n\nkept\n");
    expect(withAbSection(fresh, kept!)).toBe(
      doc("## 1. Bulk\n\nnew rows\n", "## 6. A/B\n\nkept\n"),
    );
  });

  it("is appended to a file without Reproduce", () => {
    expect(withAbSection("# Benchmarks\n", "## 6. A/B\n\nx")).toBe(
      "# Benchmarks\n\n## 6. A/B\n\nx\n",
    );
  });
});
