import type { KubeObject } from "../../capabilities/lib/kube/client";
import { WEBHOOK_PATH_PREFIX } from "../../capabilities/lib/push/receiver";
import { WEBHOOK_KEY_LABEL } from "../../capabilities/lib/push/webhook-keys";
import type { BenchEnv } from "./env";
import { smallManifest } from "./manifests";
import { percentile, waitUntil } from "./stats";

export interface PushResult {
  changes: number;
  pollInterval: string;
  /** Artifact changed in the simulator → Deployment updated, carried by the simulator's webhook. */
  pushed: { p50: number; p95: number; max: number };
  /** Fetches the webhooks asked for, and webhook requests the receiver accepted. */
  triggers: number;
  accepted: number;
}

type Deployment = KubeObject & { spec?: { replicas?: number } };

const SECRET = "bench-sim";
const POLL = "10m";

/**
 * Push propagation: the simulator sends its webhooks (Infrahub's default delivery: at once, signed)
 * to the operator's receiver over HTTPS, and the sync polls only every 10 minutes, so nothing but
 * the webhook can bring a change in the seconds measured.
 */
export async function benchPush(env: BenchEnv, changes: number): Promise<PushResult> {
  const receiver = env.env.module.webhookUrl;
  if (!receiver) throw new Error("the module runs without its webhook receiver");
  const target = "push-01";
  const sharedKey = `bench-${Math.random().toString(36).slice(2)}`;
  await env.kube.apply(
    `/api/v1/namespaces/pepr-system/secrets/${SECRET}`,
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: SECRET, namespace: "pepr-system", labels: { [WEBHOOK_KEY_LABEL]: "" } },
      stringData: { infrahubAPIURL: env.sim.url, sharedKey },
    },
    { fieldManager: "vidra-pepr-bench", force: true },
  );
  env.sim.upsertDefinition({ name: "Push_Definition", artifactName: "Push" });
  const artifact = env.sim.upsertArtifact("main", {
    definition: "Push_Definition",
    target: { label: target },
    content: smallManifest(target),
  });
  env.applySync("push", { artefactName: "Push", discovery: "GraphQL" }, { pollInterval: POLL });
  const path = `/apis/apps/v1/namespaces/ns-${target}/deployments/${target}`;
  await waitUntil(
    async () => (await env.kube.getOptional<Deployment>(path)) ?? undefined,
    120_000,
    100,
  );
  // The first fetch has to finish (status written) before events can match the sync's artifact.
  await waitUntil(
    async () => {
      const s = await env.kube.getOptional<KubeObject & { status?: { artifacts?: unknown[] } }>(
        "/apis/infrahub.operators.com/v1alpha1/infrahubsyncs/push",
      );
      return s?.status?.artifacts?.length ? true : undefined;
    },
    120_000,
    100,
  );
  env.sim.configureWebhook({
    name: "bench",
    url: `${receiver}${WEBHOOK_PATH_PREFIX}${SECRET}`,
    sharedKey,
    eventType: "infrahub.artifact.updated",
    branchScope: "all_branches",
    nodeKind: "CoreArtifact",
    validateCertificates: true,
    caPem: env.env.cluster.cp.details.caPem,
  });
  const triggersBefore = await env.metric("vidra_webhook_sync_triggers_total");
  const acceptedBefore = await env.metric("vidra_webhook_requests_total", { outcome: "accepted" });
  const latencies: number[] = [];
  try {
    for (let i = 1; i <= changes; i++) {
      // A pause between changes, so each is its own event rather than part of a burst.
      await new Promise(r => setTimeout(r, 200 + Math.random() * 300));
      const replicas = 100 + i;
      const t0 = performance.now();
      env.sim.setArtifactContent("main", artifact.id, smallManifest(target, replicas));
      await waitUntil(
        async () =>
          (await env.kube.getOptional<Deployment>(path))?.spec?.replicas === replicas
            ? true
            : undefined,
        120_000,
        10,
      );
      latencies.push(performance.now() - t0);
    }
  } finally {
    env.sim.removeWebhook("bench");
  }
  return {
    changes,
    pollInterval: POLL,
    pushed: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      max: Math.max(...latencies),
    },
    triggers: (await env.metric("vidra_webhook_sync_triggers_total")) - triggersBefore,
    accepted:
      (await env.metric("vidra_webhook_requests_total", { outcome: "accepted" })) - acceptedBefore,
  };
}

/** The line `npm run bench -- --only push` ends with. */
export function pushLine(r: PushResult): string {
  const n = (v: number) => Math.round(v);
  return `push: p50 ${n(r.pushed.p50)} ms, p95 ${n(r.pushed.p95)} ms, max ${n(r.pushed.max)} ms`;
}
