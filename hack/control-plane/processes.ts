import { spawn, type ChildProcess } from "node:child_process";
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Every process the harness starts is recorded here as `<pid>` → `<owner pid>`, so a later run (or
 * Jest's global teardown) can kill what a crashed or SIGKILLed test worker left behind.
 */
const registryDir = join(tmpdir(), "vidra-pepr-processes");

const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: a plain SIGKILL is all that can be done here.
  process.on("exit", () => {
    for (const p of live) p.killNow();
  });
}

/** Whether a process exists (one we may not signal, EPERM, exists too). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Kills registered processes whose owner is gone, or, with `runId`, every process started under
 * that test run (Jest's global teardown passes it). Returns how many were killed.
 */
export function reapOrphans(opts: { runId?: string } = {}): number {
  let killed = 0;
  let entries: string[] = [];
  try {
    entries = readdirSync(registryDir);
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    const file = join(registryDir, entry);
    let owner = NaN;
    let run = "";
    try {
      const lines = readFileSync(file, "utf8").split("\n");
      owner = Number(lines[0]);
      run = lines[2] ?? "";
    } catch {
      continue;
    }
    const ours = opts.runId !== undefined && run === opts.runId;
    if (!ours && isAlive(owner)) continue;
    if (Number.isFinite(pid) && isAlive(pid)) {
      try {
        process.kill(pid, "SIGKILL");
        killed++;
      } catch {
        // already gone
      }
    }
    rmSync(file, { force: true });
  }
  return killed;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** A child process with its output in a log file, registered for cleanup, stoppable with a deadline. */
export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  private readonly child: ChildProcess;
  private exited = false;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exitPromise: Promise<void>;

  private constructor(opts: StartOptions) {
    this.name = opts.name;
    this.logFile = opts.logFile;
    const fd = openSync(opts.logFile, "a");
    try {
      this.child = spawn(opts.command, opts.args, {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        stdio: ["ignore", fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    this.exitPromise = new Promise(resolve => {
      this.child.once("exit", (code, signal) => {
        this.exited = true;
        this.exitInfo = { code, signal };
        live.delete(this);
        if (this.child.pid) rmSync(join(registryDir, String(this.child.pid)), { force: true });
        resolve();
      });
      this.child.once("error", () => {
        this.exited = true;
        live.delete(this);
        resolve();
      });
    });
    if (this.child.pid) {
      mkdirSync(registryDir, { recursive: true });
      writeFileSync(
        join(registryDir, String(this.child.pid)),
        `${process.pid}\n${opts.name}\n${process.env.VIDRA_PEPR_RUN_ID ?? ""}\n`,
      );
    }
    live.add(this);
    installExitHook();
  }

  static start(opts: StartOptions): ManagedProcess {
    return new ManagedProcess(opts);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** Why the process ended, for error messages. */
  describeExit(): string {
    if (!this.exitInfo) return "still running";
    return this.exitInfo.signal
      ? `killed by ${this.exitInfo.signal}`
      : `exited with code ${this.exitInfo.code}`;
  }

  async logTail(lines = 30): Promise<string> {
    try {
      const text = await readFile(this.logFile, "utf8");
      return text.split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  }

  killNow(): void {
    if (!this.exited) {
      try {
        this.child.kill("SIGKILL");
      } catch {
        // gone
      }
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.exited) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.killNow(), graceMs);
    try {
      await this.exitPromise;
    } finally {
      clearTimeout(timer);
    }
  }

  waitForExit(): Promise<void> {
    return this.exitPromise;
  }
}
