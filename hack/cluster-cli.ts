/**
 * `npm run cluster:up` starts a local control plane in the background and prints the KUBECONFIG to use;
 * `npm run cluster:down` stops it. State lives in .cluster/ (git-ignored).
 */
import { spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { LocalControlPlane, type ControlPlaneInfo } from "./control-plane/control-plane";
import { isAlive } from "./control-plane/processes";

const root = resolve(__dirname, "..");
// Tests point this elsewhere so they never pick up a developer's running cluster.
const stateDir = process.env.VIDRA_PEPR_STATE_DIR ?? join(root, ".cluster");
const stateFile = join(stateDir, "state.json");
const logFile = join(stateDir, "cluster.log");

interface State {
  pid: number;
  kubeconfig: string;
  server: string;
  /** Everything `npm run dev` needs to run the module against this cluster (local, mode 0600). */
  details: ControlPlaneInfo;
}

function readState(): State | undefined {
  try {
    return JSON.parse(readFileSync(stateFile, "utf8")) as State;
  } catch {
    return undefined;
  }
}

/** The running local cluster, if `cluster:up` started one. */
export function runningCluster(): State | undefined {
  const s = readState();
  return s && isAlive(s.pid) ? s : undefined;
}

async function up(): Promise<void> {
  const existing = runningCluster();
  if (existing) {
    console.log(
      `# local cluster already running (${existing.server})\nexport KUBECONFIG=${existing.kubeconfig}`,
    );
    return;
  }
  mkdirSync(stateDir, { recursive: true });
  rmSync(stateFile, { force: true });
  const out = openSync(logFile, "w");
  const child = spawn(process.execPath, [...process.execArgv, __filename, "serve"], {
    detached: true,
    stdio: ["ignore", out, out],
  });
  child.unref();
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const s = readState();
    if (s) {
      console.log(
        `# local cluster running (${s.server}); stop it with: npm run cluster:down\nexport KUBECONFIG=${s.kubeconfig}`,
      );
      return;
    }
    if (child.exitCode !== null || !isAlive(child.pid ?? -1)) break;
    await new Promise(r => setTimeout(r, 300));
  }
  console.error(
    `the local cluster did not start; see ${logFile}:\n${readFileSync(logFile, "utf8").slice(-3000)}`,
  );
  process.exit(1);
}

async function serve(): Promise<void> {
  const baseDir = join(stateDir, "control-plane");
  rmSync(baseDir, { recursive: true, force: true });
  mkdirSync(baseDir, { recursive: true });
  const cp = await LocalControlPlane.start({ name: "vidra-pepr-local", baseDir });
  const stop = async (): Promise<void> => {
    await cp.stop();
    rmSync(stateFile, { force: true });
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
  writeFileSync(
    stateFile,
    JSON.stringify({
      pid: process.pid,
      kubeconfig: cp.kubeconfigPath,
      server: cp.server,
      details: cp.details,
    }),
    { mode: 0o600 },
  );
  console.log(`control plane up at ${cp.server}`);
}

async function down(): Promise<void> {
  const s = readState();
  if (!s || !isAlive(s.pid)) {
    rmSync(stateFile, { force: true });
    console.log("no local cluster is running");
    return;
  }
  process.kill(s.pid, "SIGTERM");
  const deadline = Date.now() + 60_000;
  while (isAlive(s.pid) && Date.now() < deadline) await new Promise(r => setTimeout(r, 200));
  if (isAlive(s.pid)) process.kill(s.pid, "SIGKILL");
  rmSync(stateFile, { force: true });
  console.log("local cluster stopped");
}

if (require.main === module) {
  const cmd = process.argv[2];
  const actions: Record<string, () => Promise<void>> = { up, down, serve };
  const action = cmd ? actions[cmd] : undefined;
  if (!action) {
    console.error("usage: tsx hack/cluster-cli.ts up|down");
    process.exit(2);
  }
  action().catch(err => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
