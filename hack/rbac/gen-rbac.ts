/**
 * `npm run gen:rbac -- --preset webserver` writes the operator's ClusterRole rules into package.json
 * (`pepr.rbacMode: "scoped"`, `pepr.rbac`), which `npx pepr build` turns into the ClusterRole of
 * dist/. Presets live in deploy/rbac-presets/; `--kinds-file` takes a file in the same format.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  loadKindsFile,
  loadPreset,
  presetNames,
  type AppliedKindsFile,
} from "./applied-kinds-file";
import { rbacRules, ruleDiff, type PolicyRule } from "./policy-rules";

export const PACKAGE_JSON = resolve(__dirname, "..", "..", "package.json");

const USAGE = `usage: npm run gen:rbac -- [--preset NAME]... [--kinds-file FILE]... [--without-secret-reads]
                                  [--check | --print]

Writes package.json "pepr.rbacMode": "scoped" and "pepr.rbac": the operator's own rules plus full
apply rights on the kinds of the presets and files given (at least one). Then run \`npm run build\`.

  --preset NAME      a preset of deploy/rbac-presets/ (repeatable): %PRESETS%
  --kinds-file FILE  an applied-kinds file in the presets' format (repeatable)
  --without-secret-reads
                     no cluster-wide Secret reads; grant them per namespace yourself
                     (docs/deploy.md, "The Secret read grant")
  --check            write nothing; fail when package.json differs from what would be written
  --print            write nothing; print the rules as JSON
  --package FILE     the package.json to read and write (default: the project's)`;

interface Args {
  presets: string[];
  files: string[];
  check: boolean;
  print: boolean;
  secretReads: boolean;
  packagePath: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    presets: [],
    files: [],
    check: false,
    print: false,
    secretReads: true,
    packagePath: PACKAGE_JSON,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (!v || v.startsWith("--")) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--preset") args.presets.push(value());
    else if (a === "--kinds-file") args.files.push(value());
    else if (a === "--package") args.packagePath = value();
    else if (a === "--check") args.check = true;
    else if (a === "--print") args.print = true;
    else if (a === "--without-secret-reads") args.secretReads = false;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!args.presets.length && !args.files.length) throw new Error("give --preset or --kinds-file");
  if (args.check && args.print) throw new Error("--check and --print exclude each other");
  return args;
}

interface PackageJson {
  pepr?: { uuid?: string; rbac?: PolicyRule[]; rbacMode?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export interface GenResult {
  code: number;
  out: string;
}

/** Runs the generator; returns the exit code and what to print instead of exiting. */
export function genRbac(argv: string[]): GenResult {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (err) {
    const usage = USAGE.replace("%PRESETS%", presetNames().join(", "));
    return { code: 2, out: `${(err as Error).message}\n\n${usage}` };
  }
  let sources: AppliedKindsFile[];
  let pkg: PackageJson;
  let rules: PolicyRule[];
  try {
    sources = [...args.presets.map(loadPreset), ...args.files.map(f => loadKindsFile(f))];
    pkg = JSON.parse(readFileSync(args.packagePath, "utf8")) as PackageJson;
    const uuid = pkg.pepr?.uuid;
    if (!uuid) throw new Error(`${args.packagePath} has no pepr.uuid`);
    rules = rbacRules(
      uuid,
      sources.flatMap(s => s.kinds),
      { secretReads: args.secretReads },
    );
  } catch (err) {
    return { code: 1, out: (err as Error).message };
  }
  if (args.print) return { code: 0, out: JSON.stringify(rules, null, 2) };
  const pepr = pkg.pepr ?? {};
  if (args.check) {
    const problems = ruleDiff(rules, pepr.rbac ?? []);
    if (pepr.rbacMode !== "scoped")
      problems.unshift(`pepr.rbacMode is ${pepr.rbacMode ?? "unset"}, not "scoped"`);
    return problems.length
      ? {
          code: 1,
          out: `${args.packagePath} is out of date:\n${problems.join("\n")}\nrun: npm run gen:rbac -- ${argv.filter(a => a !== "--check").join(" ")}`,
        }
      : { code: 0, out: `${args.packagePath}: pepr.rbac matches (${rules.length} rules)` };
  }
  pepr.rbacMode = "scoped";
  pepr.rbac = rules;
  pkg.pepr = pepr;
  writeFileSync(args.packagePath, `${JSON.stringify(pkg, null, 2)}\n`);
  const lines = sources.map(s => `  ${s.source}: ${s.description}`);
  return {
    code: 0,
    out: [
      `wrote ${rules.length} rules to ${args.packagePath} (pepr.rbac, rbacMode scoped) from:`,
      ...lines,
      "now run: npm run build",
    ].join("\n"),
  };
}

if (require.main === module) {
  const { code, out } = genRbac(process.argv.slice(2));
  (code === 0 ? console.log : console.error)(out);
  process.exitCode = code;
}
