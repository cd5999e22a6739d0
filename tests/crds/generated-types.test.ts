import { execFileSync } from "node:child_process";
import { resolve } from "node:path";

const root = resolve(__dirname, "..", "..");

test("crds/*.yaml and capabilities/lib/generated/ match crds/sources (npm run gen:crds)", () => {
  // Regenerates into a temp dir with kubernetes-fluent-client and compares byte for byte.
  const out = execFileSync(
    resolve(root, "node_modules/.bin/tsx"),
    ["hack/gen-crds.ts", "--check"],
    { cwd: root, encoding: "utf8" },
  );
  expect(out).toContain("up to date");
});
