import { splitJsonStream, splitYamlDocuments } from "./split-documents";

describe("splitYamlDocuments", () => {
  it("splits at --- and ... in column 0 and records each document's first line", () => {
    const docs = splitYamlDocuments("a: 1\n---\nb: 2\n...\n# between\n--- {c: 3}\n  ---\n");
    expect(docs).toEqual([
      { text: "a: 1", startLine: 0 },
      { text: "---\nb: 2\n...", startLine: 1 },
      { text: "# between\n--- {c: 3}\n  ---\n", startLine: 4 },
    ]);
  });

  it("attaches a preamble of comments and directives to the document its --- opens", () => {
    expect(splitYamlDocuments("# c\n%YAML 1.2\n---\na: 1\n")).toEqual([
      { text: "# c\n%YAML 1.2\n---\na: 1\n", startLine: 0 },
    ]);
  });

  it("keeps empty documents between markers, as YAML counts them", () => {
    expect(splitYamlDocuments("---\n---\na: 1\n").map(d => d.startLine)).toEqual([0, 1]);
  });

  it("does not treat ---x or indented --- as markers", () => {
    expect(splitYamlDocuments("a: |\n  ---\n---x: 1\n")).toHaveLength(1);
  });

  it("returns nothing for blank or comment-only input", () => {
    expect(splitYamlDocuments("")).toEqual([]);
    expect(splitYamlDocuments("# only\n\n")).toEqual([]);
  });
});

describe("splitJsonStream", () => {
  it("splits concatenated JSON objects, minding braces inside strings", () => {
    expect(splitJsonStream('{"a": "}{\\""}\n{"b": [1, {"c": 2}]}')).toEqual([
      { text: '{"a": "}{\\""}', startLine: 0 },
      { text: '{"b": [1, {"c": 2}]}', startLine: 1 },
    ]);
  });

  it("leaves single values, YAML and malformed JSON to the YAML path", () => {
    expect(splitJsonStream('{"a": 1}')).toBeUndefined();
    expect(splitJsonStream("[1, 2]")).toBeUndefined();
    expect(splitJsonStream("{a: 1}\n---\n{b: 2}")).toBeUndefined();
    expect(splitJsonStream('{"a": 1}}{"b": 2}')).toBeUndefined();
    expect(splitJsonStream('{"a": 1}{"b": 2')).toBeUndefined();
    expect(splitJsonStream("apiVersion: v1\n")).toBeUndefined();
  });
});
