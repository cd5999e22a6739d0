/**
 * `npm start`: the one-command demo. Everything runs on embedded defaults (a local control plane,
 * the Infrahub simulator seeded with Vidra's webserver demo, the operator, a sample InfrahubSync)
 * and keeps running until Ctrl-C; with KUBECONFIG and INFRAHUB_URL it runs the operator against
 * those instead. See docs/demo.md.
 *
 * This file only launches hack/demo/main.ts in a process group of its own and passes signals on.
 * Two reasons: Ctrl-C then reaches the demo alone, not etcd, kube-apiserver and the module at the
 * same instant, so it can stop them in order (operator first, then the cluster); and tsx, which
 * `npm start` runs this under, SIGKILLs its child when a relayed signal is not acknowledged within
 * 30 ms, which a demo busy shutting down on a loaded machine can miss. This launcher is always idle.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";

const child = spawn(
  process.execPath,
  [...process.execArgv, join(__dirname, "demo", "main.ts"), ...process.argv.slice(2)],
  {
    detached: true,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  },
);

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
// The terminal tells only its foreground group about a resize; the view redraws to the new size.
process.on("SIGWINCH", () => child.kill("SIGWINCH"));

child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
child.on("error", err => {
  process.stderr.write(`npm start: cannot start the demo: ${err.message}\n`);
  process.exit(1);
});
