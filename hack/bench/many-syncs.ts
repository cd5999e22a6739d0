import { mapSettledLimit } from "../../capabilities/lib/concurrency";
import { errorMessage } from "../../capabilities/lib/errors";
import type { KubeClient, KubeObject } from "../../capabilities/lib/kube/client";

const SYNCS = "/apis/infrahub.operators.com/v1alpha1/infrahubsyncs";

type Sync = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };

/**
 * Server-side applies of many InfrahubSyncs, `concurrency` in flight over keep-alive connections
 * (one kubectl per object would take longer than what is measured). A busy server (or admission
 * webhook) may refuse some: those are sent again, up to three rounds; then it throws naming them.
 */
export async function applySyncsInParallel(
  kube: KubeClient,
  syncs: Array<Record<string, unknown> & { metadata: { name: string } }>,
  concurrency = 16,
): Promise<void> {
  let pending = syncs;
  let failed: string[] = [];
  for (let round = 0; round < 3 && pending.length; round++) {
    const results = await mapSettledLimit(pending, concurrency, s =>
      kube.apply(`${SYNCS}/${s.metadata.name}`, s, { fieldManager: "vidra-bench", force: true }),
    );
    failed = results.flatMap((r, i) =>
      r.status === "rejected" ? [`${pending[i].metadata.name}: ${errorMessage(r.reason)}`] : [],
    );
    pending = pending.filter((_, i) => results[i].status === "rejected");
  }
  if (failed.length)
    throw new Error(`${failed.length} syncs were not created: ${failed.slice(0, 3).join("; ")}`);
}

/** How many InfrahubSyncs whose name starts with `prefix` are Ready. */
export async function readySyncs(kube: KubeClient, prefix: string): Promise<number> {
  const list = await kube.list<Sync>(SYNCS);
  return list.items.filter(
    s =>
      s.metadata?.name?.startsWith(prefix) &&
      s.status?.conditions?.some(c => c.type === "Ready" && c.status === "True"),
  ).length;
}

/**
 * Waits until `expected` syncs named `prefix…` are Ready, checking every `everyMs`, or until
 * `capMs` passed. Answers the time it took (undefined past the cap) and the last count seen.
 */
export async function waitForReadySyncs(
  kube: KubeClient,
  prefix: string,
  expected: number,
  opts: { capMs: number; everyMs: number; since?: number; progress?: (ready: number) => void },
): Promise<{ ms: number | undefined; ready: number }> {
  const since = opts.since ?? performance.now();
  let ready = 0;
  for (;;) {
    try {
      ready = await readySyncs(kube, prefix);
    } catch (err) {
      // A LIST of thousands of objects may time out on a busy server: try again at the next tick.
      console.log(`bench: listing syncs failed (${errorMessage(err)}); retrying`);
    }
    opts.progress?.(ready);
    if (ready >= expected) return { ms: performance.now() - since, ready };
    if (performance.now() - since > opts.capMs) return { ms: undefined, ready };
    await new Promise(r => setTimeout(r, opts.everyMs));
  }
}
