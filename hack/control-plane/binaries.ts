import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

const script = resolve(__dirname, "..", "build-control-plane.sh");

export interface ControlPlaneBinaries {
  dir: string;
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kwok: string;
}

/**
 * Where build-control-plane.sh keeps the binaries for the pinned versions (hack/k8s-bins/go.mod,
 * hack/k8s-bins/kwok/go.mod). `workloads` also asks for kube-scheduler and kwok.
 */
export function controlPlaneBinaries(opts: { workloads?: boolean } = {}): ControlPlaneBinaries {
  const dir =
    process.env.VIDRA_PEPR_K8S_BIN_DIR ??
    execFileSync("bash", [script, "--print-dir"], { encoding: "utf8" }).trim();
  const bins = {
    dir,
    etcd: join(dir, "etcd"),
    kubeApiserver: join(dir, "kube-apiserver"),
    kubeControllerManager: join(dir, "kube-controller-manager"),
    kubeScheduler: join(dir, "kube-scheduler"),
    kwok: join(dir, "kwok"),
  };
  const needed = [bins.etcd, bins.kubeApiserver, bins.kubeControllerManager];
  if (opts.workloads) needed.push(bins.kubeScheduler, bins.kwok);
  for (const file of needed) {
    if (!existsSync(file)) {
      throw new Error(
        `${file} is missing: build the local control plane first with "bash hack/build-control-plane.sh"`,
      );
    }
  }
  return bins;
}
