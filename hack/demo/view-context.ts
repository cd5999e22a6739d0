/**
 * The fixed facts the demo's screen shows besides the cluster's state: where everything runs and
 * what to try next, for the local and the remote mode.
 */
import type { DemoConfig } from "./demo-config";
import type { DemoEnvironment } from "./environments";
import type { ViewContext } from "./view-render";

/** The "Try it" lines: commands first, each with what it does. */
function hints(
  config: DemoConfig,
  env: DemoEnvironment,
  syncName: string,
  instructionsShown: boolean,
): string[] {
  const every = config.push
    ? `a webhook brings it within a second (the sync also polls every ${config.pollInterval})`
    : `the sync polls every ${config.pollInterval}`;
  const kubectl = [
    `export KUBECONFIG=${env.cluster.kubeconfigPath}`,
    "kubectl get infrahubsyncs,vidraresources; kubectl get deploy,svc,ingress -A",
  ];
  if (env.simulator) {
    const sim = env.simulator.url;
    const branch = env.branches.find(b => b !== "main");
    const follow = branch
      ? [
          `kubectl patch infrahubsync ${syncName} --type=merge -p '{"spec":{"source":{"targetBranch":"${branch}"}}}'   follow the branch`,
        ]
      : [];
    return [
      `npm run demo:edit -- web-01 replicas=5                edit web-01 in Infrahub; ${every} (keys: replicas image port host namespace)`,
      "npm run -s demo:edit -- web-01 --print > web-01.yaml  or the raw way: edit that file, then",
      `curl -s -X PUT --data-binary @web-01.yaml ${sim}/__sim/artifacts/web-01/content`,
      ...kubectl,
      ...follow,
      "Deployments stay at 0/N ready: no nodes run here, so no pods; the objects are what the operator applied.",
      "Ctrl-C stops everything (operator, simulator, control plane) and removes its files.",
    ];
  }
  return [
    instructionsShown
      ? "the sample InfrahubSync was NOT applied to your cluster: the commands are printed above and again on exit (DEMO_APPLY_SAMPLE=1 applies it)"
      : `change an artifact in Infrahub (the target's data, then regenerate the artifact): ${every}`,
    ...kubectl,
    "Ctrl-C stops the operator; your cluster and Infrahub keep what is in them (CRDs, namespace pepr-system, the sample if applied).",
  ];
}

export interface ContextInput {
  config: DemoConfig;
  env: DemoEnvironment;
  modulePort: number;
  moduleLog: string;
  /** Where the simulator posts its webhooks, when push sync is on. */
  pushEndpoint?: string;
  syncName: string;
  startedAt: Date;
  /** The remote mode printed the sample instead of applying it. */
  instructionsShown: boolean;
}

export function viewContext(i: ContextInput): ViewContext {
  const sim = i.env.simulator;
  return {
    mode: i.config.mode,
    server: i.env.cluster.server,
    kubeconfig: i.env.cluster.kubeconfigPath,
    infrahubUrl: i.env.infrahub.url,
    simulator: sim && {
      branches: i.env.branches,
      artifact: (branch, id) => {
        try {
          const a = sim.listArtifacts(branch).find(x => x.id === id);
          return a && { checksum: a.checksum ?? undefined, target: a.targetLabel };
        } catch {
          return undefined; // the branch was deleted through the control API
        }
      },
    },
    modulePort: i.modulePort,
    moduleLog: i.moduleLog,
    push: i.pushEndpoint ? { endpoint: i.pushEndpoint } : undefined,
    admission: i.env.registerWebhooks,
    syncName: i.syncName,
    pollInterval: i.config.pollInterval,
    startedAt: i.startedAt,
    hints: hints(i.config, i.env, i.syncName, i.instructionsShown),
  };
}
