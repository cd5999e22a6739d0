import type { KubeObject } from "../../capabilities/lib/kube/client";
import type { BenchEnv } from "./env";
import { smallManifest } from "./manifests";
import { percentile, waitUntil } from "./stats";

export interface PropagationResult {
  changes: number;
  pollSeconds: number;
  /** Artifact change in the simulator → Deployment updated, with the sync polling. */
  polled: { p50: number; p95: number; max: number };
  /** The same with the poll taken out (sync-now annotation right after the change): the operator's own work. */
  triggered: { p50: number; p95: number; max: number };
}

type Deployment = KubeObject & { spec?: { replicas?: number } };

async function measure(
  env: BenchEnv,
  artifactId: string,
  target: string,
  changes: number,
  after: (i: number) => Promise<unknown> | void,
  offset: number,
  jitterMs: number,
): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 1; i <= changes; i++) {
    const replicas = offset + i;
    // Changes made right after the previous one landed would always fall just after a poll; a
    // random pause spreads them over the poll interval, as real edits are.
    await new Promise(r => setTimeout(r, Math.random() * jitterMs));
    const t0 = performance.now();
    env.sim.setArtifactContent("main", artifactId, smallManifest(target, replicas));
    await after(i);
    await waitUntil(
      async () => {
        const d = await env.kube.getOptional<Deployment>(
          `/apis/apps/v1/namespaces/ns-${target}/deployments/${target}`,
        );
        return d?.spec?.replicas === replicas ? true : undefined;
      },
      120_000,
      10,
    );
    latencies.push(performance.now() - t0);
  }
  return latencies;
}

const summary = (v: number[]) => ({
  p50: percentile(v, 50),
  p95: percentile(v, 95),
  max: Math.max(...v),
});

/** Benchmark 3: time from an artifact change in Infrahub to the object changed in the cluster. */
export async function benchPropagation(
  env: BenchEnv,
  changes: number,
  pollSeconds: number,
): Promise<PropagationResult> {
  const target = "prop-01";
  env.sim.upsertDefinition({ name: "Propagation_Definition", artifactName: "Propagation" });
  const artifact = env.sim.upsertArtifact("main", {
    definition: "Propagation_Definition",
    target: { label: target },
    content: smallManifest(target),
  });
  env.applySync(
    "propagation",
    { artefactName: "Propagation", discovery: "GraphQL" },
    { pollInterval: `${pollSeconds}s` },
  );
  await waitUntil(
    async () =>
      (await env.kube.getOptional<Deployment>(
        `/apis/apps/v1/namespaces/ns-${target}/deployments/${target}`,
      )) ?? undefined,
    120_000,
    100,
  );
  const polled = await measure(
    env,
    artifact.id,
    target,
    changes,
    () => undefined,
    1,
    pollSeconds * 1000,
  );

  env.applySync(
    "propagation",
    { artefactName: "Propagation", discovery: "GraphQL" },
    { pollInterval: "1h" },
  );
  await new Promise(r => setTimeout(r, 1000));
  const triggered = await measure(
    env,
    artifact.id,
    target,
    changes,
    i =>
      env.kube.mergePatch("/apis/infrahub.operators.com/v1alpha1/infrahubsyncs/propagation", {
        metadata: { annotations: { "infrahub.operators.com/sync-now": `${Date.now()}-${i}` } },
      }),
    1000,
    0,
  );
  return { changes, pollSeconds, polled: summary(polled), triggered: summary(triggered) };
}
