import { execFileSync } from "node:child_process";
import { startModule, type RunningModule } from "../../hack/module-runner";
import { startInfrahubSimulator } from "../../hack/infrahub-sim";
import type { InfrahubSimulator, SimulatorOptions } from "../../hack/infrahub-sim/types";
import type { ControlPlaneOptions } from "../../hack/control-plane/control-plane";
import { startTestCluster, type TestCluster } from "./cluster";

/** A cluster and the module running against it in dev mode. */
export interface ClusterEnv {
  cluster: TestCluster;
  module: RunningModule;
  kubectl(args: string[], input?: string): string;
  /** kubectl that resolves with {code, stdout, stderr} instead of throwing. */
  kubectlResult(args: string[], input?: string): { code: number; stdout: string; stderr: string };
  stop(): Promise<void>;
}

/** A cluster, the module running against it in dev mode, and an Infrahub simulator. */
export interface OperatorEnv extends ClusterEnv {
  sim: InfrahubSimulator;
}

/** A cluster with the module; Infrahub is the caller's (the real one, for tests/real-infrahub). */
export async function startClusterEnv(
  opts: {
    moduleEnv?: Record<string, string>;
    name?: string;
    cluster?: ControlPlaneOptions;
    /** Pods run (kube-scheduler + KWOK): for tests of health. */
    workloads?: boolean;
  } = {},
): Promise<ClusterEnv> {
  const cluster = await startTestCluster({
    ...opts.cluster,
    name: opts.name ?? "e2e",
    workloads: opts.workloads ?? opts.cluster?.workloads,
  });
  let module: RunningModule;
  try {
    module = await startModule({ cluster: cluster.cp.details, env: opts.moduleEnv });
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  const kubeconfig = cluster.cp.kubeconfigPath;
  const kubectlResult = (args: string[], input?: string) => {
    try {
      const stdout = execFileSync("kubectl", ["--kubeconfig", kubeconfig, ...args], {
        input,
        encoding: "utf8",
        stdio: ["pipe", "pipe", "pipe"],
      });
      return { code: 0, stdout, stderr: "" };
    } catch (err) {
      const e = err as { status?: number; stdout?: string; stderr?: string };
      return { code: e.status ?? 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
    }
  };
  return {
    cluster,
    module,
    kubectlResult,
    kubectl(args, input) {
      const r = kubectlResult(args, input);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${r.stderr}`);
      return r.stdout;
    },
    async stop() {
      await module.stop();
      await cluster.stop();
    },
  };
}

export async function startOperatorEnv(
  opts: {
    sim?: SimulatorOptions;
    moduleEnv?: Record<string, string>;
    name?: string;
    cluster?: ControlPlaneOptions;
    /** Pods run (kube-scheduler + KWOK): for tests of health. */
    workloads?: boolean;
  } = {},
): Promise<OperatorEnv> {
  const sim = await startInfrahubSimulator(opts.sim ?? {});
  let env: ClusterEnv;
  try {
    env = await startClusterEnv({
      moduleEnv: opts.moduleEnv,
      name: opts.name,
      cluster: opts.cluster,
      workloads: opts.workloads,
    });
  } catch (err) {
    await sim.stop();
    throw err;
  }
  return {
    ...env,
    sim,
    async stop() {
      await env.stop();
      await sim.stop();
    },
  };
}
