import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { moduleBuildReason } from "./build-steps";

let root: string;

function file(rel: string, at: number): void {
  const path = join(root, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, "x");
  utimesSync(path, at, at);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "demo-build-test-"));
  for (const f of ["pepr.ts", "package.json", "tsconfig.json", "capabilities/lib/a.ts"])
    file(f, 1000);
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

test("a missing dist/ needs a build", () => {
  expect(moduleBuildReason(root)).toBe("dist/ has no built module");
  file("dist/pepr-vidra-pepr.js", 2000);
  expect(moduleBuildReason(root)).toBe("dist/ has no built module");
});

test("dist/ newer than every source is up to date", () => {
  file("dist/pepr-vidra-pepr.js", 2000);
  file("dist/pepr-module-vidra-pepr.yaml", 2000);
  expect(moduleBuildReason(root)).toBeUndefined();
});

test("a source changed after the build names itself; tests beside the code do not count", () => {
  file("dist/pepr-vidra-pepr.js", 2000);
  file("dist/pepr-module-vidra-pepr.yaml", 2000);
  file("capabilities/lib/a.test.ts", 3000);
  file("capabilities/notes.md", 3000);
  expect(moduleBuildReason(root)).toBeUndefined();
  file("capabilities/lib/deep/b.ts", 3000);
  expect(moduleBuildReason(root)).toBe("capabilities/lib/deep/b.ts changed after the last build");
});

test("the older of the two outputs decides, and package.json counts (it holds Pepr's configuration)", () => {
  file("dist/pepr-vidra-pepr.js", 2000);
  file("dist/pepr-module-vidra-pepr.yaml", 5000);
  file("package.json", 3000);
  expect(moduleBuildReason(root)).toBe("package.json changed after the last build");
});
