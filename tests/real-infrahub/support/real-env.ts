import { randomBytes } from "node:crypto";
import type { InfrahubAdmin } from "../../../hack/real-infrahub/admin";
import { eventually } from "../../support/cluster";
import { startClusterEnv, type ClusterEnv } from "../../support/operator-env";
import { createInfrahubSecret, getJson, type Json } from "../../support/operator-client";
import { sharedInfrahub, type SharedInfrahub } from "./shared-stack";

/** A cluster with the operator, and the run's shared real Infrahub. */
export interface RealEnv extends ClusterEnv {
  ih: SharedInfrahub;
}

/** Starts a cluster and the module while the shared Infrahub finishes starting. */
export async function startRealEnv(name: string): Promise<RealEnv> {
  const [cluster, ih] = await Promise.allSettled([startClusterEnv({ name }), sharedInfrahub()]);
  if (cluster.status === "rejected" || ih.status === "rejected") {
    if (cluster.status === "fulfilled") await cluster.value.stop();
    throw cluster.status === "rejected" ? cluster.reason : (ih as PromiseRejectedResult).reason;
  }
  // Secret "infrahub" in default: the seeded admin's login.
  createInfrahubSecret(cluster.value);
  return { ...cluster.value, ih: ih.value };
}

/**
 * A branch of this test file's own: files that change targets or delete artifacts do it there,
 * so files running at the same time on the shared Infrahub never see each other's changes.
 */
export async function testBranch(
  admin: InfrahubAdmin,
  prefix: string,
): Promise<{ name: string; createdAt: string }> {
  const name = `t-${prefix}-${randomBytes(3).toString("hex")}`;
  return { name, createdAt: await admin.createBranch(name) };
}

export const creds = { credentialsSecretRef: { name: "infrahub", namespace: "default" } };

export function deployment(env: ClusterEnv, ns: string, name: string): Json | undefined {
  const r = env.kubectlResult(["get", "deployment", "-n", ns, name, "-o", "json"]);
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
}

export function vidraResourcesOf(env: ClusterEnv, sync: string): Json[] {
  return getJson(env, ["get", "vidraresources", "-l", `infrahub.operators.com/sync=${sync}`]).items;
}

/** Deletes every sync left by a test that failed half-way, so the next test starts clean. */
export async function deleteAllSyncs(env: ClusterEnv): Promise<void> {
  const names: string[] = getJson(env, ["get", "infrahubsyncs"]).items.map(
    (s: Json) => s.metadata.name,
  );
  for (const name of names) await deleteSync(env, name);
}

/** Deletes a sync and waits until its VidraResources (and so its objects) are gone. */
export async function deleteSync(env: ClusterEnv, name: string): Promise<void> {
  env.kubectl(["delete", "infrahubsync", name, "--wait=false"]);
  await eventually(async () => vidraResourcesOf(env, name).length === 0, {
    what: `the VidraResources of ${name} to be deleted`,
    timeoutMs: SLOW,
  });
  await eventually(async () => env.kubectlResult(["get", "infrahubsync", name]).code !== 0, {
    what: `InfrahubSync ${name} to be gone`,
    timeoutMs: SLOW,
  });
}

/**
 * Deadline for anything that waits on Infrahub (a sync's poll, a regeneration): generous, because
 * a loaded 2-core machine makes a real Infrahub slow, and tests wait for outcomes, not durations.
 */
export const SLOW = 10 * 60_000;
