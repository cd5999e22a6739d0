/**
 * `npm run dev`: the module in Pepr's dev mode (admission and watcher in one process) against the
 * local control plane — the one `npm run cluster:up` started, or a new one that is stopped again on
 * Ctrl-C. Rebuilds dist/ first when a source is newer. The module's log is followed on the terminal.
 */
import { execFileSync, spawn } from "node:child_process";
import { resolve } from "node:path";
import { LocalControlPlane, type ControlPlaneInfo } from "./control-plane/control-plane";
import { runningCluster } from "./cluster-cli";
import { moduleBuildReason } from "./demo/build-steps";
import { startModule } from "./module-runner";

const root = resolve(__dirname, "..");

async function main(): Promise<void> {
  execFileSync("bash", [`${root}/hack/check-prereqs.sh`], { stdio: "inherit" });
  execFileSync("bash", [`${root}/hack/build-control-plane.sh`], { stdio: "inherit" });
  const reason = moduleBuildReason(root);
  if (reason) {
    console.log(`building the module (${reason})`);
    execFileSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  }
  const existing = runningCluster();
  let own: LocalControlPlane | undefined;
  let cluster: ControlPlaneInfo;
  if (existing) {
    cluster = existing.details;
    console.log(`using the cluster of npm run cluster:up (${existing.server})`);
  } else {
    own = await LocalControlPlane.start({ name: "vidra-pepr-dev" });
    cluster = own.details;
    console.log(`started a local cluster (${own.server}); it stops with this command`);
  }
  const module = await startModule({
    cluster,
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? "info", PEPR_PRETTY_LOGS: "true" },
  });
  console.log(
    [
      `\nthe module is running (webhooks at https://127.0.0.1:${module.port}); Ctrl-C stops it. In another terminal:`,
      `  export KUBECONFIG=${cluster.kubeconfigPath}`,
      "  npm run infrahub-sim -- --port 8000 --seed hack/infrahub-sim/example-seed.yaml   # an Infrahub to sync from",
      "  kubectl apply -f <an InfrahubSync pointing at http://127.0.0.1:8000>; kubectl get ihs,vr",
      ...(module.webhookUrl
        ? [
            "",
            `the Infrahub webhook receiver (push sync) is at ${module.webhookUrl}/webhooks/infrahub/<key Secret>`,
            "(HTTPS with the module's certificate, signed by the cluster's CA). To push from the simulator:",
            "  kubectl create secret generic infrahub-sim -n pepr-system --from-literal=infrahubAPIURL=http://127.0.0.1:8000 --from-literal=sharedKey=dev-key",
            "  kubectl label secret infrahub-sim -n pepr-system infrahub.operators.com/webhook-key=",
            `  curl -s -X POST http://127.0.0.1:8000/__sim/webhooks -d '{"name":"vidra","url":"${module.webhookUrl}/webhooks/infrahub/infrahub-sim","sharedKey":"dev-key","branchScope":"all_branches"}'`,
          ]
        : []),
      "",
    ].join("\n"),
  );
  // The module writes to its log file; follow it here.
  const tail = spawn("tail", ["-n", "+1", "-f", module.logFile], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    tail.kill();
    console.log("\nstopping…");
    await module.stop();
    await own?.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  // The launcher (npm run dev) is gone, killed without a chance to pass a signal on: stop too.
  if (process.connected) process.once("disconnect", () => void stop());
}

main().catch(err => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
