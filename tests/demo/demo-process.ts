/**
 * Runs `npm start` as a person would (a child process in its own process group, so a Ctrl-C can be
 * sent to the whole group the way a terminal does) and checks afterwards that it left nothing.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { eventually } from "../support/cluster";
import type { DemoState } from "../../hack/demo/demo-state";

export const root = resolve(__dirname, "..", "..");

/** The environment a demo starts with: this one, minus anything that would select remote mode. */
export function demoEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env))
    if (k === "KUBECONFIG" || k.startsWith("INFRAHUB_") || k.startsWith("DEMO_")) delete env[k];
  // Tests run against the module `npm run build` made before them; the build step is unit-tested.
  return { ...env, DEMO_SKIP_BUILD: "1", DEMO_REFRESH: "1", NO_COLOR: "1", ...extra };
}

export interface DemoRun {
  child: ChildProcess;
  output(): string;
  /** Resolves with the text once the output matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /**
   * Runs `action` as soon as the output matches, in the same tick as the output arrives: for
   * reacting to a short-lived state (waitFor polls every 250 ms, longer than some steps last).
   */
  onPrinted(pattern: RegExp, action: () => void): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `npm <args>` (default `npm start`), or with `shell` a shell pipeline such as
 * `npm start | tee demo.log`, in a process group of its own as a terminal would.
 */
export function startDemo(
  env: NodeJS.ProcessEnv,
  args: string[] = ["start"],
  opts: { shell?: string } = {},
): DemoRun {
  const [command, argv] = opts.shell ? ["sh", ["-c", opts.shell]] : ["npm", args];
  const child = spawn(command, argv, {
    cwd: root,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  const watchers: { pattern: RegExp; action: () => void }[] = [];
  const append = (d: Buffer) => {
    text += d.toString("utf8");
    for (const w of watchers.splice(0)) {
      if (w.pattern.test(text)) w.action();
      else watchers.push(w);
    }
  };
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(r =>
    child.once("exit", (code, signal) => r({ code, signal })),
  );
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    output: () => text,
    onPrinted: (pattern, action) => {
      if (pattern.test(text)) action();
      else watchers.push({ pattern, action });
    },
    exited,
    waitFor: (pattern, timeoutMs = 240_000) =>
      eventually(
        async () => {
          if (pattern.test(text)) return text;
          if (done)
            throw new Error(`npm start exited before printing ${pattern}:\n${text.slice(-4000)}`);
          return undefined;
        },
        {
          timeoutMs,
          intervalMs: 250,
          what: `${pattern} in the demo's output (so far:\n${text.slice(-3000)})`,
        },
      ),
  };
}

/** Stops a demo that a failed test left running (its whole group, then the demo's own group). */
export function killDemo(run: DemoRun | undefined, state: DemoState | undefined): void {
  for (const pgid of [run?.child.pid, state?.pid]) {
    if (!pgid) continue;
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

export function readState(file: string): DemoState {
  return JSON.parse(readFileSync(file, "utf8")) as DemoState;
}

/** Processes the harness registered as started by `owner` (etcd, kube-apiserver, KCM, the module). */
export function startedBy(owner: number): Array<{ pid: number; name: string }> {
  const dir = join(tmpdir(), "vidra-pepr-processes");
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap(e => {
    try {
      const [ownerLine, name] = readFileSync(join(dir, e), "utf8").split("\n");
      return Number(ownerLine) === owner ? [{ pid: Number(e), name }] : [];
    } catch {
      return [];
    }
  });
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Live processes whose command line or environment names one of `paths` (the demo's temp dirs). */
export function processesMentioning(paths: string[]): string[] {
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    for (const file of ["cmdline", "environ"]) {
      let text = "";
      try {
        text = readFileSync(join("/proc", entry, file), "utf8");
      } catch {
        continue; // gone, or not ours to read
      }
      if (paths.some(p => text.includes(p)))
        found.push(`${entry}: ${text.split("\0").join(" ").slice(0, 200)}`);
    }
  }
  return found;
}

/** Runs `npm run demo:edit -- ...` to completion. */
export function demoEdit(
  env: NodeJS.ProcessEnv,
  args: string[],
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync("npm", ["run", "-s", "demo:edit", "--", ...args], {
    cwd: root,
    env,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
