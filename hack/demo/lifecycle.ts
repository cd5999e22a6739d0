/**
 * Start-up and shutdown bookkeeping for the demo: every thing it starts registers how to stop it,
 * and SIGINT/SIGTERM stop them in reverse order. Commands it runs (the builds) get their own
 * process group, so stopping kills the whole tree (npm → npx → esbuild, bash → go) and not just
 * the first process. A second signal skips the polite path and kills what is left.
 */
import { spawn, type ChildProcess } from "node:child_process";
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { errorMessage } from "../../capabilities/lib/errors";
import { isAlive } from "../control-plane/processes";
import { DemoError } from "./demo-error";

/** Thrown by `check()` once a stop was requested: start-up unwinds without an error message. */
export class StopRequested extends Error {
  constructor() {
    super("stop requested");
  }
}

interface Cleanup {
  what: string;
  fn: () => Promise<void> | void;
}

export class Lifecycle {
  private readonly cleanups: Cleanup[] = [];
  private readonly dirs: string[] = [];
  private readonly lastWords: Array<() => void> = [];
  private readonly commands = new Set<ChildProcess>();
  private reason: string | undefined;
  private wake: (reason: string) => void = () => undefined;
  /** Resolves with the reason ("SIGINT", "ready", ...) once a stop is requested. */
  readonly stopped: Promise<string>;

  constructor(private readonly say: (line: string) => void) {
    this.stopped = new Promise(resolve => (this.wake = resolve));
  }

  /**
   * Ctrl-C and SIGTERM request a stop; a second one exits at once after killing what is left. A
   * launcher that goes away (hack/demo.ts, through the IPC channel) requests a stop too, so the
   * demo never outlives `npm start`.
   */
  handleSignals(): void {
    if (process.connected) process.once("disconnect", () => this.requestStop("npm start ended"));
    this.handleClosedOutput();
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.on(signal, () => {
        if (this.reason === undefined) return this.requestStop(signal);
        this.say(`${signal} again: killing what is left and exiting`);
        this.forceExit();
      });
    }
  }

  /**
   * `npm start | tee demo.log` stopped with Ctrl-C: the terminal signals tee too, which exits at
   * once, so the demo's next line meets a closed pipe. Output is a courtesy, cleanup is not: a closed
   * stdout or stderr neither crashes the demo (an unhandled 'error' event would, leaving its temp
   * dirs behind) nor leaves it running unseen; it stops the demo like a signal, and later lines are
   * dropped.
   */
  private handleClosedOutput(): void {
    for (const stream of [process.stdout, process.stderr]) {
      // EPIPE first, then ERR_STREAM_DESTROYED for every later write: all mean nobody reads.
      stream.on("error", () => this.requestStop("output closed"));
    }
  }

  get stopping(): boolean {
    return this.reason !== undefined;
  }

  requestStop(reason: string): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    for (const child of this.commands) killGroup(child, "SIGTERM");
    this.wake(reason);
  }

  /** Throws StopRequested when a stop was requested: called between start-up steps. */
  check(): void {
    if (this.stopping) throw new StopRequested();
  }

  /** Registers how to undo something just started; cleanups run last-in, first-out. */
  defer(what: string, fn: () => Promise<void> | void): void {
    this.cleanups.push({ what, fn });
  }

  /**
   * A fresh 0700 temp dir, removed on stop (also on a forced exit). It names its owner, so a later
   * run can remove the dirs of a demo that was SIGKILLed (see removeAbandonedDirs).
   */
  tempDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.claimDir(dir);
    this.defer(`removing ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  /**
   * Marks a temp dir as this process's, for removeAbandonedDirs after a SIGKILL, and removes it on a
   * forced exit. Its normal removal is up to whoever made it.
   */
  claimDir(dir: string): void {
    writeFileSync(join(dir, OWNER_FILE), `${process.pid}\n`);
    this.dirs.push(dir);
  }

  /** What a forced exit must still do (synchronously), e.g. remove the state file. */
  onForcedExit(fn: () => void): void {
    this.lastWords.push(fn);
  }

  get tempDirs(): readonly string[] {
    return this.dirs;
  }

  /**
   * Runs a command to completion in its own process group. Output goes to `logFile` (its tail is
   * in the error when it fails) or, without one, to this terminal.
   */
  async run(
    command: string,
    args: string[],
    opts: { cwd: string; logFile?: string },
  ): Promise<void> {
    this.check();
    const fd = opts.logFile ? openSync(opts.logFile, "a") : undefined;
    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        cwd: opts.cwd,
        detached: true,
        stdio: fd === undefined ? ["ignore", "inherit", "inherit"] : ["ignore", fd, fd],
      });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    this.commands.add(child);
    const result = await new Promise<{
      code: number | null;
      signal: NodeJS.Signals | null;
      error?: Error;
    }>(resolve => {
      child.once("error", error => resolve({ code: null, signal: null, error }));
      child.once("exit", (code, signal) => resolve({ code, signal }));
    });
    this.commands.delete(child);
    this.check();
    if (result.code === 0) return;
    const what = [command, ...args].join(" ");
    // `message` directly: spawn errors may come from another realm (Jest), where instanceof fails.
    const why = result.error
      ? result.error.message
      : result.signal
        ? `killed by ${result.signal}`
        : `exit code ${result.code}`;
    const tail = opts.logFile ? `\n${tailOf(opts.logFile, 30)}` : "";
    throw new DemoError(`${what} failed (${why})${tail}`, "CommandFailed");
  }

  /** Runs every cleanup, newest first; one failing does not stop the others. */
  async cleanup(): Promise<void> {
    while (this.cleanups.length) {
      const c = this.cleanups.pop()!;
      this.say(`  ${c.what}`);
      try {
        await c.fn();
      } catch (err) {
        this.say(`  ${c.what}: failed: ${errorMessage(err)}`);
      }
    }
  }

  /**
   * The impatient path. Processes started through ManagedProcess are SIGKILLed by its own exit
   * hook; the temp dirs go after that, from an exit hook registered now so it runs last.
   */
  forceExit(): never {
    for (const child of this.commands) killGroup(child, "SIGKILL");
    process.on("exit", () => {
      for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      for (const fn of this.lastWords) {
        try {
          fn();
        } catch {
          // exiting anyway
        }
      }
    });
    process.exit(130);
  }
}

const OWNER_FILE = "owner.pid";

/**
 * Removes temp dirs made by `tempDir(prefix)` in an earlier run whose process is gone: what a demo
 * killed with SIGKILL leaves. (Its processes are reaped by the control plane harness on start.)
 */
export function removeAbandonedDirs(prefix: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(prefix)) continue;
    const dir = join(tmpdir(), name);
    let owner: number;
    try {
      owner = Number(readFileSync(join(dir, OWNER_FILE), "utf8").trim());
    } catch {
      continue; // not ours, or still being created
    }
    if (!Number.isInteger(owner) || owner <= 0 || isAlive(owner)) continue;
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function tailOf(file: string, lines: number): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}
