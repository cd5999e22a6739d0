import { spawn } from "node:child_process";

/**
 * Runs a TypeScript entry point in a process group of its own and passes signals on; used by the
 * long-running commands (`npm start`, `npm run dev`). Two reasons: Ctrl-C then reaches the command
 * alone, not etcd, kube-apiserver and the module at the same instant, so it can stop them in order;
 * and tsx, which npm scripts run under, SIGKILLs its child when a relayed signal is not
 * acknowledged within 30 ms, which a command busy shutting down on a loaded machine can miss. This
 * launcher is always idle.
 */
export function launchInOwnGroup(entry: string, what: string): void {
  const child = spawn(process.execPath, [...process.execArgv, entry, ...process.argv.slice(2)], {
    detached: true,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  // tsx relays a signal again when the first was not acknowledged in time: pass on one per second,
  // so a relayed duplicate is not taken for the impatient second Ctrl-C that forces the exit.
  let lastForwarded = 0;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      const now = Date.now();
      if (now - lastForwarded < 1000) return;
      lastForwarded = now;
      child.kill(signal === "SIGHUP" ? "SIGTERM" : signal);
    });
  }
  // The terminal tells only its foreground group about a resize.
  process.on("SIGWINCH", () => child.kill("SIGWINCH"));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  child.on("error", err => {
    process.stderr.write(`${what}: cannot start: ${err.message}\n`);
    process.exit(1);
  });
}
