import { checkManifest, MAX_MANIFEST_BYTES } from "./manifest-check";
import { Problems } from "./problems";

function check(manifest: unknown, allowEmpty = false): string[] {
  const p = new Problems();
  checkManifest(p, "spec.manifest", manifest, allowEmpty);
  return p.items;
}

const configMap = (name: string, extra = "") =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}`;

describe("checkManifest", () => {
  test.each([
    [
      "Vidra's hand-written JSON sample",
      '{"apiVersion": "v1","kind": "Namespace","metadata":{"name": "ns-sample"}}',
    ],
    [
      "multi-document YAML starting with ---",
      `---\n${configMap("a")}---\n# comment only\n---\n${configMap("b")}`,
    ],
    [
      "a List",
      JSON.stringify({
        apiVersion: "v1",
        kind: "List",
        items: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }],
      }),
    ],
    [
      "RBAC names with ':'",
      "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: system:vidra\n",
    ],
    [
      "a cluster-scoped object with a namespace (dropped at apply)",
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, namespace: b}\n",
    ],
    [
      "an unknown kind (the destination cluster decides)",
      "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
    ],
  ])("accepts %s", (_, manifest) => expect(check(manifest)).toEqual([]));

  test("names the document and the problem, for every problem", () => {
    const manifest = `${configMap("ok")}---\n${configMap("Bad_Name")}---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  generateName: web-\n`;
    expect(check(manifest)).toEqual([
      'spec.manifest document 2, ConfigMap/Bad_Name: metadata.name "Bad_Name" is not a valid DNS-1123 subdomain (lowercase letters, digits, "-" and ".", starting and ending with a letter or digit)',
      "spec.manifest document 3, Deployment: metadata.generateName is not supported: the operator must know each object's name to track and prune it, set metadata.name",
      "spec.manifest document 3, Deployment: metadata.name is required",
    ]);
  });

  test("syntax errors name the document and line, never the text around them", () => {
    const manifest = `${configMap("a")}---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: [hunter2-s3cr3t\n`;
    const problems = check(manifest);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^spec\.manifest document 2: .* at line \d+, column \d+$/);
    expect(problems[0]).not.toContain("s3cr3t");
  });

  test("duplicate keys and duplicate objects", () => {
    expect(check("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  name: y\n")[0]).toMatch(
      /^spec\.manifest document 1: mapping key "name" is defined twice in the same mapping/,
    );
    expect(check(`${configMap("x")}---\n${configMap("x")}`)[0]).toMatch(
      /^spec\.manifest document 2, ConfigMap\/x: .* is defined twice: first in document 1$/,
    );
  });

  test("duplicates are named where they would go: the destination namespace, none for built-in cluster-scoped kinds", () => {
    const p = new Problems();
    const ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n";
    checkManifest(
      p,
      "m",
      `${configMap("x")}---\n${configMap("x")}---\n${ns}---\n${ns}`,
      false,
      "apps",
    );
    expect(p.items).toEqual([
      "m document 2, ConfigMap/x: ConfigMap/apps/x is defined twice: first in document 1",
      "m document 4, Namespace/apps: Namespace/apps is defined twice: first in document 3",
    ]);
    // An invalid destination namespace is reported on the destination, not here.
    const q = new Problems();
    checkManifest(q, "m", configMap("x"), false, "Not_A_Namespace");
    expect(q.items).toEqual([]);
  });

  test("a YAML bomb fails fast", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 12; i++)
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(", ")}]`,
      );
    const problems = check(
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  ${bomb.join("\n  ")}\n`,
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^spec\.manifest document 1: .*(aliases|nodes)/);
  });

  test("more than the listed problems are counted", () => {
    const docs = Array.from({ length: 25 }, () => "kind: ConfigMap\nmetadata: {name: a}\n").join(
      "---\n",
    );
    const problems = check(docs);
    expect(problems).toHaveLength(21);
    expect(problems[20]).toBe("spec.manifest has 5 more problem(s) not listed here");
  });

  test("an empty manifest is refused unless allowEmpty, as it would prune everything", () => {
    const empty =
      "spec.manifest has no Kubernetes objects (it is empty or only comments): add at least one object, or set " +
      "spec.allowEmpty: true if an empty manifest is meant (it prunes every object this resource applied)";
    expect(check(undefined)).toEqual([empty]);
    expect(check("")).toEqual([empty]);
    expect(check("---\n# nothing\n---\n")).toEqual([empty]);
    expect(check('{"apiVersion":"v1","kind":"List","items":[]}')).toEqual([empty]);
    expect(check("", true)).toEqual([]);
    expect(check("# nothing\n", true)).toEqual([]);
  });

  test("size: over the limit is refused before parsing", () => {
    const big = configMap("big", `data:\n  k: "${"x".repeat(MAX_MANIFEST_BYTES)}"\n`);
    const bytes = Buffer.byteLength(big);
    expect(check(big)).toEqual([
      `spec.manifest is ${bytes} bytes, over the limit of ${MAX_MANIFEST_BYTES} bytes (etcd stores at most 1.5 MiB per object): split the artifact into several smaller ones`,
    ]);
    const atLimit = configMap("fits", `data:\n  k: "${"x".repeat(MAX_MANIFEST_BYTES - 200)}"\n`);
    expect(Buffer.byteLength(atLimit)).toBeLessThanOrEqual(MAX_MANIFEST_BYTES);
    expect(check(atLimit)).toEqual([]);
  });

  test("a non-string is refused", () => {
    expect(check({ apiVersion: "v1" })).toEqual([
      "spec.manifest must be a string holding YAML or JSON",
    ]);
  });

  test("messages contain no semicolon (the wiring joins problems with one)", () => {
    for (const m of check("- a\n---\n- b\n")) expect(m).not.toContain(";");
  });
});
