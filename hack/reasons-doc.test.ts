/**
 * The README's table of reasons ("Status, Events and troubleshooting") lists every reason the
 * operator can report, and nothing else. Reasons are collected from the source where they are
 * made: `reason: "X"` / `reason = "X"` (error classes, conditions), Event reasons given to
 * `events.record`, the reasons passed to SecretReferenceError, the per-problem reasons of the apply
 * engine (`reasonFor`), and the API server's own reasons behind `Kubernetes<Reason>`.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..");
const CAMEL = /"([A-Z][A-Za-z0-9]+)"/g;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "generated" ? [] : sources(path);
    return path.endsWith(".ts") && !path.endsWith(".test.ts") ? [path] : [];
  });
}

/** Every reason the code can report, with the files that make it. */
function reasonsInCode(): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  const add = (reason: string, file: string) => {
    if (!found.has(reason)) found.set(reason, new Set());
    found.get(reason)!.add(file.slice(ROOT.length + 1));
  };
  for (const file of sources(join(ROOT, "capabilities"))) {
    const text = readFileSync(file, "utf8");
    // `reason: "X"`, `reason: cond ? "X" : "Y"`, `reason = "X"` (not comparisons).
    for (const m of text.matchAll(/\breason(?::|\s*=(?!=))\s*([^\n;]*)/g))
      for (const q of m[1].matchAll(CAMEL)) add(q[1], file);
    // events.record(obj, "Warning", "X" | cond ? "X" : "Y", message)
    for (const m of text.matchAll(/\.record\(\s*[^,]+,\s*"(?:Normal|Warning)",\s*([^,]+),/g))
      for (const q of m[1].matchAll(CAMEL)) add(q[1], file);
    for (const m of text.matchAll(/new SecretReferenceError\(([\s\S]*?)\);/g)) {
      const reason = /,\s*"([A-Z]\w+)",?\s*$/.exec(m[1]);
      if (reason) add(reason[1], file);
    }
    for (const m of text.matchAll(/function reasonFor\([\s\S]*?\n}/g))
      for (const q of m[0].matchAll(CAMEL)) add(q[1], file);
    if (/`Kubernetes\$\{/.test(text)) add("Kubernetes<Reason>", file);
  }
  return found;
}

/** The reasons named (in backticks) in the first column of the README's troubleshooting table. */
function reasonsInReadme(): Set<string> {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.split("\n## Status, Events and troubleshooting\n")[1]?.split("\n## ")[0];
  if (!section) throw new Error("README has no 'Status, Events and troubleshooting' section");
  const rows = section
    .split("\n")
    .filter(l => l.startsWith("| ") && !l.startsWith("| status says"));
  const out = new Set<string>();
  for (const row of rows) {
    const first = row.split(" | ")[0];
    for (const m of first.matchAll(/`([^`]+)`/g))
      if (/^[A-Z][A-Za-z0-9]+(<Reason>)?$/.test(m[1])) out.add(m[1]);
  }
  return out;
}

test("the README's reasons table and the code's reasons are the same set", () => {
  const code = reasonsInCode();
  const readme = reasonsInReadme();
  // Sanity: the collection sees the reasons it must see.
  for (const known of ["AuthenticationFailed", "CircuitOpen", "InvalidObjects", "SecretNotFound"])
    expect(code.has(known)).toBe(true);
  const byPattern = (r: string) => code.has("Kubernetes<Reason>") && r.startsWith("Kubernetes");
  const undocumented = [...code.keys()]
    .filter(r => !readme.has(r))
    .map(r => `${r} (${[...code.get(r)!].join(", ")})`);
  const unknown = [...readme].filter(r => !code.has(r) && !byPattern(r));
  expect({ undocumented, unknown }).toEqual({ undocumented: [], unknown: [] });
});
