import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { InfrahubClientRegistry } from "../infrahub";
import { KubeClient } from "../kube/client";
import { connectionFromKubeconfig, defaultConnection } from "../kube/connection";
import { DestinationResolver } from "../sync/destinations";

export interface ClusterFlags {
  kubeconfig?: string;
  context?: string;
}

/** What the commands talk to: the cluster of the kubeconfig, its destinations, Infrahub. */
export interface CliContext {
  kube: KubeClient;
  destinations: DestinationResolver;
  infrahub: InfrahubClientRegistry;
  close(): void;
}

/**
 * The cluster the operator runs in, as kubectl finds it: --kubeconfig, else $KUBECONFIG, else
 * ~/.kube/config; --context picks a context. Remote destinations are reached the way the operator
 * reaches them (their kubeconfig Secrets), so the preview sees what the operator would.
 */
export function connect(flags: ClusterFlags, env: NodeJS.ProcessEnv = process.env): CliContext {
  // A context needs its file: the one kubectl would read.
  const file =
    flags.kubeconfig ??
    (flags.context
      ? env.KUBECONFIG?.split(":").find(Boolean) || join(homedir(), ".kube", "config")
      : undefined);
  const connection = file
    ? connectionFromKubeconfig(readFileSync(resolve(file), "utf8"), {
        origin: `kubeconfig ${file}`,
        baseDir: dirname(resolve(file)),
        context: flags.context,
      })
    : defaultConnection(env);
  const kube = new KubeClient(connection);
  const destinations = new DestinationResolver(kube);
  const infrahub = new InfrahubClientRegistry({});
  return {
    kube,
    destinations,
    infrahub,
    close() {
      destinations.close();
      infrahub.close();
      kube.close();
    },
  };
}
