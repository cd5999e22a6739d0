import { resolve } from "node:path";
import { InfrahubClientRegistry } from "../infrahub";
import { KubeClient } from "../kube/client";
import { ClusterAccess, defaultAccess, loadKubeconfigFiles } from "../kube/kubeconfig";
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
  // Without --kubeconfig, --context picks from what kubectl would read (KUBECONFIG's files merged).
  const access = flags.kubeconfig
    ? ClusterAccess.select(loadKubeconfigFiles([resolve(flags.kubeconfig)]), {
        origin: `kubeconfig ${flags.kubeconfig}`,
        context: flags.context,
        allowFiles: true,
      })
    : defaultAccess(env, flags.context);
  const kube = new KubeClient(access);
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
