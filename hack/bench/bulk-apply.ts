import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeObject } from "../../capabilities/lib/kube/client";
import type { BenchEnv } from "./env";
import { bulkManifest } from "./manifests";
import { ResourceManager } from "../../capabilities/lib/apply/resource-manager";
import { ResourceMapper } from "../../capabilities/lib/kube/discovery";
import { parseManifest, validateObjects } from "../../capabilities/lib/manifest";
import { rawApply } from "./raw-apply";
import { median, waitUntil } from "./stats";

export interface BulkResult {
  objects: number;
  runs: number;
  kubectlMs: number[];
  operatorMs: number[];
  /** The same objects as raw server-side applies, 16 in flight, no dry-run: the physical limit. */
  rawMs: number[];
  /** The same, every object first dry-run (all dry-runs before any apply). */
  rawValidatedMs: number[];
  /**
   * The operator's apply engine alone (ResourceManager.apply in the bench process: no module, no
   * Infrahub, no VidraResource, no status writes).
   */
  engineMs: number[];
  /** Where the operator's time went in the median run (sums of reconcile durations). */
  phases: { syncReconcileMs: number; vidraResourceReconcileMs: number };
  ratio: number;
  /** Operator / physical limit. */
  limitRatio: number;
  /** Operator / the validate-then-apply floor. */
  validatedLimitRatio: number;
  /** Engine alone / kubectl: what the rest of the operator has left under a given ratio. */
  engineRatio: number;
}

type Sync = KubeObject & {
  status?: {
    conditions?: Array<{ type: string; status: string }>;
    artifacts?: Array<{ vidraResource?: string }>;
  };
};
type Vr = KubeObject & {
  status?: {
    conditions?: Array<{ type: string; status: string }>;
    managedCount?: number;
    lastSyncTime?: string;
  };
};

/**
 * Benchmark 1: one artifact of `objects` objects into an empty namespace, the operator's time from
 * `kubectl apply` of the InfrahubSync to Ready, against `kubectl apply --server-side -f` of the
 * same file, and against the physical limit (raw-apply.ts). Runs alternate so machine noise hits
 * all sides alike; the medians are compared.
 */
export async function benchBulkApply(
  env: BenchEnv,
  objects: number,
  runs: number,
): Promise<BulkResult> {
  const dir = mkdtempSync(join(tmpdir(), "bench-bulk-"));
  const kubectlMs: number[] = [];
  const operatorMs: number[] = [];
  const rawMs: number[] = [];
  const rawValidatedMs: number[] = [];
  const engineMs: number[] = [];
  const phases: BulkResult["phases"][] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      const file = join(dir, `bulk-${run}.yaml`);
      writeFileSync(file, bulkManifest(`kubectl-${run}`, objects));
      const k0 = performance.now();
      execFileSync(
        "kubectl",
        [
          "--kubeconfig",
          env.kubeconfig,
          "apply",
          "--server-side",
          "--field-manager=bench",
          "-f",
          file,
        ],
        { stdio: "pipe" },
      );
      kubectlMs.push(performance.now() - k0);
      rawMs.push(await rawApply(env.env.cluster.cp.details, bulkManifest(`raw-${run}`, objects)));
      rawValidatedMs.push(
        await rawApply(env.env.cluster.cp.details, bulkManifest(`rawdry-${run}`, objects), {
          dryRunFirst: true,
        }),
      );

      engineMs.push(await engineApply(env, bulkManifest(`engine-${run}`, objects), run));

      const name = `Bulk_${run}`;
      env.sim.upsertDefinition({ name: `${name}_Definition`, artifactName: name });
      env.sim.upsertArtifact("main", {
        definition: `${name}_Definition`,
        target: { label: `bulk-${run}` },
        content: bulkManifest(`operator-${run}`, objects),
      });
      const sync0 = await env.metric("vidra_reconcile_duration_seconds_sum", {
        kind: "InfrahubSync",
      });
      const vr0 = await env.metric("vidra_reconcile_duration_seconds_sum", {
        kind: "VidraResource",
      });
      const o0 = performance.now();
      env.applySync(`bulk-${run}`, { artefactName: name, discovery: "GraphQL" });
      const sync = await waitUntil(async () => {
        const s = await env.kube.getOptional<Sync>(
          `/apis/infrahub.operators.com/v1alpha1/infrahubsyncs/bulk-${run}`,
        );
        return s?.status?.conditions?.some(c => c.type === "Ready" && c.status === "True")
          ? s
          : undefined;
      }, 600_000);
      operatorMs.push(performance.now() - o0);
      const vrName = sync.status?.artifacts?.[0]?.vidraResource ?? "";
      const vr = await env.kube.get<Vr>(
        `/apis/infrahub.operators.com/v1alpha1/vidraresources/${vrName}`,
      );
      if (vr.status?.managedCount !== objects)
        throw new Error(
          `expected ${objects} objects, the VidraResource lists ${vr.status?.managedCount}`,
        );
      phases.push({
        syncReconcileMs:
          1000 *
          ((await env.metric("vidra_reconcile_duration_seconds_sum", { kind: "InfrahubSync" })) -
            sync0),
        vidraResourceReconcileMs:
          1000 *
          ((await env.metric("vidra_reconcile_duration_seconds_sum", { kind: "VidraResource" })) -
            vr0),
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const mid = operatorMs.indexOf(
    [...operatorMs].sort((a, b) => a - b)[Math.floor(operatorMs.length / 2)],
  );
  return {
    objects,
    runs,
    kubectlMs,
    operatorMs,
    rawMs,
    rawValidatedMs,
    engineMs,
    phases: phases[mid],
    ratio: median(operatorMs) / median(kubectlMs),
    limitRatio: median(operatorMs) / median(rawMs),
    validatedLimitRatio: median(operatorMs) / median(rawValidatedMs),
    engineRatio: median(engineMs) / median(kubectlMs),
  };
}

/** The same manifest through the operator's ResourceManager in this process, timed. */
async function engineApply(env: BenchEnv, manifest: string, run: number): Promise<number> {
  const resources = new ResourceManager(env.kube, new ResourceMapper(env.kube));
  const objects = validateObjects(parseManifest(manifest), {
    scopeOf: (_apiVersion, kind) => (kind === "Namespace" ? "Cluster" : "Namespaced"),
  }).objects;
  const owner = { name: `engine-${run}`, fieldManager: `vidra-pepr/engine-${run}` };
  const t0 = performance.now();
  const entries = await resources.apply(objects, owner, { adoption: "Refuse" });
  const elapsed = performance.now() - t0;
  if (entries.length !== objects.length || entries.some(e => e.action !== "created"))
    throw new Error(`the engine alone did not create all ${objects.length} objects`);
  return elapsed;
}
