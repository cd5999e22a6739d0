/**
 * The running demo's address book (`.cluster/demo.json` by default, DEMO_STATE_FILE to move it):
 * how `npm run demo:edit` finds the simulator's control API, and which temp dirs a test can check
 * are gone afterwards. It holds no secrets: the kubeconfig it names lives in a 0700 temp dir.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { DemoError } from "./demo-error";

export interface DemoState {
  /** The demo process (node, not npm or tsx). */
  pid: number;
  mode: "local" | "remote";
  startedAt: string;
  /** The simulator's base URL (local mode only); its control API is `<url>/__sim/`. */
  simulatorUrl?: string;
  kubeconfig: string;
  server: string;
  syncName: string;
  /** Branch the sample sync reads, and how often it polls. */
  branch: string;
  pollInterval: string;
  /** Whether the simulator sends webhooks to the operator (push sync). */
  push?: boolean;
  /** Directories the demo created and removes on exit. */
  tempDirs: string[];
  /** The module's log while it runs. */
  moduleLog?: string;
}

/** Writes atomically, so a reader never sees half a file. */
export function writeDemoState(file: string, state: DemoState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The state of a demo that is still running; a clear error when there is none. */
export function readDemoState(file: string): DemoState {
  let state: DemoState;
  try {
    state = JSON.parse(readFileSync(file, "utf8")) as DemoState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new DemoError(
        `no demo is running (${file} does not exist): start one with "npm start"`,
        "DemoNotRunning",
      );
    }
    throw new DemoError(
      `${file} is not readable demo state (${(err as Error).message}); stop the demo and start it again`,
      "DemoNotRunning",
    );
  }
  if (!alive(state.pid)) {
    throw new DemoError(
      `the demo that wrote ${file} (pid ${state.pid}) is no longer running: start one with "npm start"`,
      "DemoNotRunning",
    );
  }
  return state;
}

/** Removes the file if it still describes this process (a newer demo may have replaced it). */
export function removeDemoState(file: string, pid = process.pid): void {
  try {
    const state = JSON.parse(readFileSync(file, "utf8")) as DemoState;
    if (state.pid !== pid) return;
  } catch {
    return;
  }
  rmSync(file, { force: true });
}
