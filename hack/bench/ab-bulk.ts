import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, homedir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { withAbSection } from "./ab-section";
import { median } from "./stats";

/**
 * The bulk apply (section 1) of this tree against an earlier commit's, in one run: the commit's
 * tree is exported (git archive) into a cache outside the repo, installed and built once, and the
 * two sides then take turns (baseline, current, baseline, current, …), each a fresh control plane
 * and module running bulk-once.ts. kubectl's own speed moves between days (30–79 s for the same
 * 1000 objects on this machine), so a ratio to kubectl from another day says little; the ratio of
 * the two operators' times measured in turns does.
 *
 *   npm run bench:ab -- <commit> [--rounds N] [--write]
 *
 * --write puts the table into BENCHMARKS.md (section 6).
 */

const root = resolve(__dirname, "../..");

interface BulkResult {
  objects: number;
  kubectlMs: number[];
  operatorMs: number[];
}

function sh(cmd: string, args: string[], cwd = root): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

/** The commit's tree, installed and built, in the cache (reused when complete). */
function baselineTree(sha: string): string {
  const cache = process.env.VIDRA_PEPR_CACHE ?? join(homedir(), ".cache", "vidra-pepr");
  const dir = join(cache, "bench-baseline", sha);
  const done = join(dir, ".built");
  if (existsSync(done)) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  console.log(`ab: exporting ${sha.slice(0, 10)} into ${dir}, then npm ci and npm run build`);
  execFileSync("bash", ["-c", `git -C "${root}" archive "${sha}" | tar -x -C "${dir}"`], {
    stdio: "inherit",
  });
  execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: dir, stdio: "inherit" });
  execFileSync("npm", ["run", "build"], { cwd: dir, stdio: "inherit" });
  writeFileSync(done, new Date().toISOString());
  return dir;
}

/** One side's turn: bulk-once.ts in `dir`, its BULK-RESULT line parsed. */
function runSide(dir: string, label: string): Promise<BulkResult> {
  return new Promise((ok, fail) => {
    const child = spawn("npx", ["tsx", "hack/bench/bulk-once.ts"], {
      cwd: dir,
      env: { ...process.env, NODE_ENV: "production" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    child.on("error", fail);
    child.on("close", code => {
      const line = out.split("\n").find(l => l.startsWith("BULK-RESULT "));
      if (code !== 0 || !line)
        return fail(new Error(`${label}: exit ${code}\n${out.slice(-2000)}`));
      ok(JSON.parse(line.slice("BULK-RESULT ".length)) as BulkResult);
    });
  });
}

const ms = (v: number): string =>
  v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;

function table(
  sha: string,
  head: string,
  sides: { baseline: BulkResult[]; current: BulkResult[] },
): string {
  const all = (rs: BulkResult[], k: "kubectlMs" | "operatorMs") => rs.flatMap(r => r[k]);
  const row = (name: string, rs: BulkResult[]) => {
    const op = median(all(rs, "operatorMs"));
    const kc = median(all(rs, "kubectlMs"));
    return `| ${name} | ${ms(op)} | ${all(rs, "operatorMs").map(ms).join(", ")} | ${ms(kc)} | ${(op / kc).toFixed(3)} |`;
  };
  const perRound = sides.current.map(
    (c, i) => median(c.operatorMs) / median(sides.baseline[i].operatorMs),
  );
  const overall =
    median(all(sides.current, "operatorMs")) / median(all(sides.baseline, "operatorMs"));
  return `| | operator (median) | operator runs | kubectl (median) | operator / kubectl |
|---|---|---|---|---|
${row(`baseline ${sha.slice(0, 7)}`, sides.baseline)}
${row(`current ${head}`, sides.current)}

**current / baseline, operator time: ${overall.toFixed(2)}** (per round: ${perRound.map(r => r.toFixed(2)).join(", ")}).`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const commit = args.find(a => !a.startsWith("--"));
  if (!commit) throw new Error("usage: npm run bench:ab -- <commit> [--rounds N] [--write]");
  const r = args.indexOf("--rounds");
  const rounds = r >= 0 ? Number(args[r + 1]) : 2;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error("--rounds takes a whole number ≥ 1");
  const sha = sh("git", ["rev-parse", `${commit}^{commit}`]);
  const head = sh("git", ["rev-parse", "--short", "HEAD"]);
  const base = baselineTree(sha);
  // The same driver on both sides (it needs only startBenchEnv and benchBulkApply).
  copyFileSync(join(root, "hack/bench/bulk-once.ts"), join(base, "hack/bench/bulk-once.ts"));
  const started = new Date();
  const sides = { baseline: [] as BulkResult[], current: [] as BulkResult[] };
  for (let i = 1; i <= rounds; i++) {
    for (const [label, dir] of [
      ["baseline", base],
      ["current", root],
    ] as const) {
      console.log(`ab: round ${i}/${rounds}, ${label}`);
      const res = await runSide(dir, label);
      sides[label].push(res);
      console.log(
        `ab: ${label} operator ${res.operatorMs.map(ms).join(", ")}; kubectl ${res.kubectlMs.map(ms).join(", ")}`,
      );
    }
  }
  const body = table(sha, head, sides);
  console.log(body);
  if (args.includes("--write")) {
    const objects = sides.current[0].objects;
    const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}`;
    const section = `## 6. The bulk apply against an earlier commit

The ${objects}-object apply of section 1, this commit against ${sha.slice(0, 7)}, in turns
(${rounds} rounds of ${sides.current[0].operatorMs.length} runs a side, each turn a fresh control plane and module; same driver,
hack/bench/bulk-once.ts). kubectl is measured in every turn, so both sides have their own
denominator from the same hour.

${body}

(measured by \`npm run bench:ab -- ${sha.slice(0, 7)} --rounds ${rounds} --write\` on ${started.toISOString().slice(0, 10)}: ${machine}; commit ${head})
`;
    const file = join(root, "BENCHMARKS.md");
    writeFileSync(file, withAbSection(readFileSync(file, "utf8"), section));
    console.log(`wrote section 6 to ${file}`);
  }
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
