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
 * Jest's global teardown) can kill what a crashed or SIGKILLed test worker left behind. A process
 * started in a group of its own is recorded as such, and its whole group is killed.
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
    let group = false;
    try {
      const lines = readFileSync(file, "utf8").split("\n");
      owner = Number(lines[0]);
      run = lines[2] ?? "";
      group = lines[3] === "group";
    } catch {
      continue;
    }
    const ours = opts.runId !== undefined && run === opts.runId;
    if (!ours && isAlive(owner)) continue;
    if (Number.isFinite(pid) && pid > 0 && isAlive(pid)) {
      try {
        process.kill(pid, "SIGKILL");
        killed++;
      } catch {
        // already gone
      }
    }
    if (group && Number.isFinite(pid) && pid > 0) killGroup(pid, "SIGKILL");
    rmSync(file, { force: true });
  }
  return killed;
}

/** Signals every process of group `pgid`; false when there is none left. */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * Start the process as the leader of a process group of its own, and signal the whole group:
   * for servers that fork helpers (RabbitMQ's Erlang VM, uvicorn, the Prefect worker), whose
   * children would otherwise outlive a stop.
   */
  ownGroup?: boolean;
  /** What the process sees as argv[0] (and `ps` shows), e.g. to tag a command line that has no path. */
  argv0?: string;
}

/** A child process with its output in a log file, registered for cleanup, stoppable with a deadline. */
export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  private readonly child: ChildProcess;
  private readonly ownGroup: boolean;
  private exited = false;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exitPromise: Promise<void>;

  private constructor(opts: StartOptions) {
    this.name = opts.name;
    this.logFile = opts.logFile;
    this.ownGroup = opts.ownGroup ?? false;
    const fd = openSync(opts.logFile, "a");
    try {
      this.child = spawn(opts.command, opts.args, {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        stdio: ["ignore", fd, fd],
        detached: this.ownGroup,
        argv0: opts.argv0,
      });
    } finally {
      closeSync(fd);
    }
    this.exitPromise = new Promise(resolve => {
      this.child.once("exit", (code, signal) => {
        this.exited = true;
        this.exitInfo = { code, signal };
        live.delete(this);
        // The group is ours: helpers the leader forked must not outlive it.
        if (this.ownGroup && this.child.pid) killGroup(this.child.pid, "SIGKILL");
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
        `${process.pid}\n${opts.name}\n${process.env.VIDRA_PEPR_RUN_ID ?? ""}\n${this.ownGroup ? "group" : ""}\n`,
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

  /** Sends `signal` to the process, or to its whole group when it leads one. */
  signal(signal: NodeJS.Signals): void {
    if (this.exited) return;
    if (this.ownGroup && this.child.pid && killGroup(this.child.pid, signal)) return;
    try {
      this.child.kill(signal);
    } catch {
      // gone
    }
  }

  killNow(): void {
    this.signal("SIGKILL");
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.exited) return;
    this.signal("SIGTERM");
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
