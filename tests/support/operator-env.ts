import { execFileSync } from "node:child_process";
import { startModule, type RunningModule } from "../../hack/module-runner";
import { startInfrahubSimulator } from "../../hack/infrahub-sim";
import type { InfrahubSimulator, SimulatorOptions } from "../../hack/infrahub-sim/types";
import { startTestCluster, type TestCluster } from "./cluster";

/** A cluster, the module running against it in dev mode, and an Infrahub simulator. */
export interface OperatorEnv {
  cluster: TestCluster;
  module: RunningModule;
  sim: InfrahubSimulator;
  kubectl(args: string[], input?: string): string;
  /** kubectl that resolves with {code, stdout, stderr} instead of throwing. */
  kubectlResult(args: string[], input?: string): { code: number; stdout: string; stderr: string };
  stop(): Promise<void>;
}

export async function startOperatorEnv(
  opts: { sim?: SimulatorOptions; moduleEnv?: Record<string, string>; name?: string } = {},
): Promise<OperatorEnv> {
  const cluster = await startTestCluster({ name: opts.name ?? "e2e" });
  let module: RunningModule | undefined;
  let sim: InfrahubSimulator | undefined;
  try {
    sim = await startInfrahubSimulator(opts.sim ?? {});
    module = await startModule({ cluster: cluster.cp.details, env: opts.moduleEnv });
  } catch (err) {
    await sim?.stop();
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
    module: module!,
    sim: sim!,
    kubectlResult,
    kubectl(args, input) {
      const r = kubectlResult(args, input);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${r.stderr}`);
      return r.stdout;
    },
    async stop() {
      await module?.stop();
      await sim?.stop();
      await cluster.stop();
    },
  };
}
