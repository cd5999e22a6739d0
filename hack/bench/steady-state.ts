import type { KubeObject } from "../../capabilities/lib/kube/client";
import type { BenchEnv } from "./env";
import { smallManifest } from "./manifests";
import { waitUntil } from "./stats";

export interface SteadyResult {
  syncs: number;
  artifactsPerSync: number;
  intervals: number;
  pollSeconds: number;
  /** Measured over the window, per poll interval. */
  perInterval: {
    apiWrites: number;
    downloads: number;
    infrahubRequests: number;
    logins: number;
    apiReads: number;
  };
  /** What Vidra's loop does per interval, from its design (vidra-original.md §2.2, §8). */
  vidra: { apiWrites: number; downloads: number; infrahubRequests: number; logins: number };
}

type Sync = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };

/** Creates `count` syncs, each with its own artifact definition and one target, and waits for Ready. */
export async function createSyncs(
  env: BenchEnv,
  from: number,
  count: number,
  pollSeconds: number,
): Promise<void> {
  const names = Array.from(
    { length: count },
    (_, i) => `steady-${String(from + i).padStart(3, "0")}`,
  );
  for (const name of names) {
    env.sim.upsertDefinition({ name: `${name}_Definition`, artifactName: name });
    env.sim.upsertArtifact("main", {
      definition: `${name}_Definition`,
      target: { label: name },
      content: smallManifest(name),
    });
  }
  env.applySyncs(
    names.map(name => ({
      name,
      source: { artefactName: name },
      spec: { pollInterval: `${pollSeconds}s` },
    })),
  );
  const expected = from - 1 + count;
  await waitUntil(
    async () => {
      const list = await env.kube.list<Sync>("/apis/infrahub.operators.com/v1alpha1/infrahubsyncs");
      const ready = list.items.filter(
        s =>
          s.metadata?.name?.startsWith("steady-") &&
          s.status?.conditions?.some(c => c.type === "Ready" && c.status === "True"),
      );
      return ready.length >= expected ? true : undefined;
    },
    900_000,
    500,
  );
}

/**
 * Benchmark 2: `syncs` syncs with unchanged artifacts over `intervals` poll intervals. Counts the
 * operator's API writes (not reads, not dry-runs), artifact downloads, and Infrahub requests.
 */
export async function benchSteadyState(
  env: BenchEnv,
  syncs: number,
  intervals: number,
  pollSeconds: number,
): Promise<SteadyResult> {
  await createSyncs(env, 1, syncs, pollSeconds);
  // Let the first polls after creation pass, so only steady-state polls are counted.
  await new Promise(r => setTimeout(r, pollSeconds * 1000 * 1.5));
  const writes = async () =>
    (await env.metric("vidra_kube_requests_total", { dry_run: "false" })) -
    (await env.metric("vidra_kube_requests_total", { dry_run: "false", method: "GET" }));
  const reads0 = await env.metric("vidra_kube_requests_total", { method: "GET" });
  const w0 = await writes();
  env.sim.resetCounts();
  await new Promise(r => setTimeout(r, intervals * pollSeconds * 1000));
  const counts = env.sim.requestCounts();
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const downloads = (counts["GET /api/storage/object"] ?? 0) + (counts["GET /api/artifact"] ?? 0);
  const per = (n: number) => n / intervals;
  return {
    syncs,
    artifactsPerSync: 1,
    intervals,
    pollSeconds,
    perInterval: {
      apiWrites: per((await writes()) - w0),
      downloads: per(downloads),
      infrahubRequests: per(total),
      logins: per(counts["POST /api/auth/login"] ?? 0),
      apiReads: per((await env.metric("vidra_kube_requests_total", { method: "GET" })) - reads0),
    },
    // Vidra, per sync and poll: a login, the stored query, one download per artifact (checksums
    // never written), and two status writes (Running, then Succeeded); the VidraResource update is
    // skipped when the manifest is equal.
    vidra: { apiWrites: 2 * syncs, downloads: syncs, infrahubRequests: 3 * syncs, logins: syncs },
  };
}
