/**
 * What has to exist before the demo can run: the local control plane's binaries (built once by
 * hack/build-control-plane.sh) and the built module in dist/ (rebuilt when a source is newer).
 */
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { Lifecycle } from "./lifecycle";

/** The files `npx pepr build` turns into dist/; a newer one means dist/ is stale. */
const SOURCE_FILES = ["pepr.ts", "package.json", "tsconfig.json"];
const SOURCE_DIRS = ["capabilities"];
/** The outputs the module runner needs. */
export const BUILD_OUTPUTS = ["dist/pepr-module-vidra-pepr.yaml", "dist/pepr-vidra-pepr.js"];

function* sourceFiles(root: string): Generator<string> {
  for (const f of SOURCE_FILES) yield join(root, f);
  const stack = SOURCE_DIRS.map(d => join(root, d));
  while (stack.length) {
    const dir = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) stack.push(path);
      else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts")) yield path;
    }
  }
}

function mtime(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

const NOT_BUILT = "dist/ has no built module";

/** Why the module must be (re)built, or undefined when dist/ is up to date. */
export function moduleBuildReason(root: string): string | undefined {
  const outputs = BUILD_OUTPUTS.map(f => mtime(join(root, f)));
  if (outputs.some(t => t === undefined)) return NOT_BUILT;
  const builtAt = Math.min(...(outputs as number[]));
  for (const file of sourceFiles(root)) {
    const t = mtime(file);
    if (t !== undefined && t > builtAt)
      return `${relative(root, file)} changed after the last build`;
  }
  return undefined;
}

/** Builds the control plane binaries when missing (minutes, once) and the module when stale. */
export async function ensureBuilt(
  life: Lifecycle,
  say: (line: string) => void,
  opts: { root: string; controlPlane: boolean; logDir: string; skipBuild?: boolean },
): Promise<void> {
  if (opts.controlPlane) {
    say("checking prerequisites (bash hack/check-prereqs.sh)");
    await life.run("bash", [join(opts.root, "hack", "check-prereqs.sh")], { cwd: opts.root });
    // The script returns at once when the binaries exist, and says so.
    await life.run("bash", [join(opts.root, "hack", "build-control-plane.sh")], { cwd: opts.root });
  }
  const reason = moduleBuildReason(opts.root);
  if (!reason) {
    say("module: dist/ is up to date");
    return;
  }
  if (opts.skipBuild && reason !== NOT_BUILT) {
    say(`module: ${reason}, but DEMO_SKIP_BUILD=1: using dist/ as it is`);
    return;
  }
  const logFile = join(opts.logDir, "build.log");
  say(`building the module: ${reason} (npm run build, 1-2 minutes; log ${logFile})`);
  const started = Date.now();
  await life.run("npm", ["run", "build"], { cwd: opts.root, logFile });
  say(`module built in ${Math.round((Date.now() - started) / 1000)}s`);
}
