/**
 * `npm run infrahub:up` installs what is missing, starts a seeded real Infrahub in the background
 * and prints its URL and credentials; `npm run infrahub:down` stops it; `npm run infrahub:status`
 * says whether one runs. A detached `serve` process owns the stack (as `cluster:up` owns its
 * control plane) and stops it on SIGTERM. State lives in .cluster/infrahub/ (git-ignored).
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive } from "../control-plane/processes";
import { InfrahubAdmin } from "./admin";
import { RealInfrahub, type RealInfrahubInfo } from "./stack";
import { readUpState, upStateDir } from "./up-state";

const stateDir = upStateDir();
const stateFile = join(stateDir, "state.json");
const logFile = join(stateDir, "infrahub.log");

function describe(info: RealInfrahubInfo): string {
  return [
    `Infrahub 1.11.9 at ${info.url}`,
    `  login     ${info.username} / ${info.password}`,
    `  API token ${info.token}   (header X-INFRAHUB-KEY)`,
    `  branches  main, feature-scale; artifacts Webserver_Manifest for web-01, web-02, web-03`,
    `  data and logs in ${info.runDir}`,
    `  stop with: npm run infrahub:down`,
    `  change a target (its artifact is regenerated): npm run infrahub:edit -- web-01 replicas=5`,
    `The operator against it, on the local cluster of \`npm run cluster:up\`:`,
    `  KUBECONFIG=.cluster/control-plane/kubeconfig INFRAHUB_URL=${info.url} \\`,
    `  INFRAHUB_USERNAME=${info.username} INFRAHUB_PASSWORD=${info.password} DEMO_APPLY_SAMPLE=1 npm start`,
  ].join("\n");
}

async function up(): Promise<void> {
  const existing = readUpState();
  if (existing) {
    console.log(`already running\n${describe(existing.info)}`);
    return;
  }
  execFileSync("bash", [join(__dirname, "install.sh")], { stdio: "inherit" });
  mkdirSync(stateDir, { recursive: true });
  rmSync(stateFile, { force: true });
  const out = openSync(logFile, "w");
  const child = spawn(process.execPath, [...process.execArgv, __filename, "serve"], {
    detached: true,
    stdio: ["ignore", out, out],
  });
  child.unref();
  console.log(`starting (progress in ${logFile}; a first boot seeds a new database: ~7 min)`);
  let shown = 0;
  for (;;) {
    const text = readFileSync(logFile, "utf8");
    process.stdout.write(text.slice(shown));
    shown = text.length;
    const s = readUpState();
    if (s) {
      console.log(describe(s.info));
      return;
    }
    if (!isAlive(child.pid ?? -1)) {
      console.error("the real Infrahub did not start (see above)");
      process.exit(1);
    }
    await new Promise(r => setTimeout(r, 1000));
  }
}

async function serve(): Promise<void> {
  const started = Date.now();
  const log = (m: string) =>
    console.log(`[infrahub ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${m}`);
  const ih = await RealInfrahub.start({ name: "up", log });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log("stopping");
    await ih.stop();
    rmSync(stateFile, { force: true });
    log("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
  const rss = ih.rssBytes();
  log(
    `RSS of the stack: ${(rss.total / 2 ** 20).toFixed(0)} MiB (${Object.entries(rss.byService)
      .map(([k, v]) => `${k} ${(v / 2 ** 20).toFixed(0)}`)
      .join(", ")})`,
  );
  writeFileSync(stateFile, JSON.stringify({ pid: process.pid, info: ih.info }, null, 2), {
    mode: 0o600,
  });
  // Serve until told to stop.
  setInterval(() => {}, 1 << 30);
}

async function down(): Promise<void> {
  const s = readUpState();
  if (!s) {
    console.log("no real Infrahub from infrahub:up is running");
    rmSync(stateFile, { force: true });
    return;
  }
  process.kill(s.pid, "SIGTERM");
  const deadline = Date.now() + 180_000;
  while (isAlive(s.pid) && Date.now() < deadline) await new Promise(r => setTimeout(r, 500));
  if (isAlive(s.pid)) {
    console.error(`the stack's owner (pid ${s.pid}) did not stop in 3 minutes; see ${logFile}`);
    process.exit(1);
  }
  console.log("stopped");
}

/**
 * `npm run infrahub:edit -- web-01 replicas=5 [image=nginx:1.28] [--branch b]`: changes a target
 * and regenerates its artifact, as a user editing Infrahub would; prints the new checksum.
 */
async function edit(): Promise<void> {
  const s = readUpState();
  if (!s) throw new Error("no real Infrahub from infrahub:up is running (npm run infrahub:up)");
  const args = process.argv.slice(3);
  const b = args.indexOf("--branch");
  const branch = b >= 0 ? args.splice(b, 2)[1] : "main";
  const [target, ...pairs] = args;
  const attrs: { replicas?: number; image?: string } = {};
  for (const p of pairs) {
    const [k, v] = p.split("=");
    if (k === "replicas" && /^\d+$/.test(v)) attrs.replicas = Number(v);
    else if (k === "image" && v) attrs.image = v;
    else throw new Error(`unknown change "${p}": use replicas=N and/or image=NAME`);
  }
  if (!target || pairs.length === 0)
    throw new Error(
      "usage: npm run infrahub:edit -- <target> replicas=N [image=NAME] [--branch B]",
    );
  const admin = new InfrahubAdmin(s.info.url, s.info.token);
  const a = await admin.changeTarget(target, attrs, branch);
  console.log(`${target} on ${branch}: artifact ${a.id} regenerated, checksum ${a.checksum}`);
}

function status(): void {
  const s = readUpState();
  console.log(s ? describe(s.info) : "no real Infrahub from infrahub:up is running");
}

const cmd = process.argv[2];
const run: Record<string, () => Promise<void> | void> = { up, serve, down, status, edit };
if (!run[cmd]) {
  console.error("usage: cli.ts up|down|status|edit");
  process.exit(2);
}
Promise.resolve(run[cmd]()).catch(err => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
