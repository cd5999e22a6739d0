/**
 * Create/delete cycles for the memory soak (tests/e2e/memory.test.ts at CI size, `npm run soak` at
 * full size). Every cycle leaves behind everything the operator used to keep forever: a new Infrahub
 * identity (its own API token), a new kubeconfig Secret for a "remote" destination (this same
 * cluster under its loopback URL, so a client per Secret), drift watches on that destination, and
 * then deletes all of it. After the last cycle the operator should hold what it held before.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import type { InfrahubSimulator } from "../infrahub-sim/types";

const run = promisify(execFile);

/** The soak artifacts: one definition and artifact per slot, each a single ConfigMap. */
export const SOAK_SLOTS = 20;
export const soakDefinition = (slot: number) => ({
  name: `Soak_Definition_${slot}`,
  artifactName: `Soak_Manifest_${slot}`,
});

export function soakSeed(slots = SOAK_SLOTS) {
  return {
    users: [{ username: "admin", password: "infrahub" }],
    definitions: Array.from({ length: slots }, (_, i) => soakDefinition(i)),
    artifacts: Array.from({ length: slots }, (_, i) => ({
      definition: soakDefinition(i).name,
      target: { label: `soak-${i}` },
      content: `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: soak-${i}, namespace: default }\ndata: { slot: "${i}" }\n`,
    })),
  };
}

export interface SoakTarget {
  kubeconfigPath: string;
  server: string;
  sim: InfrahubSimulator;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function kubectl(t: SoakTarget, args: string[], input?: string): Promise<string> {
  const child = run("kubectl", ["--kubeconfig", t.kubeconfigPath, ...args], {
    maxBuffer: 64 * 1024 * 1024,
  });
  child.child.stdin?.end(input ?? "");
  return (await child).stdout;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

function objectsOfBatch(t: SoakTarget, batch: number, size: number, kubeconfig: string): Json[] {
  const items: Json[] = [];
  for (let slot = 0; slot < size; slot++) {
    const id = `soak-${batch}-${slot}`;
    const token = `soak-token-${batch}-${slot}`;
    t.sim.addApiToken(token);
    const labels = { "vidra-soak": String(batch) };
    items.push(
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: `${id}-infrahub`, namespace: "default", labels },
        data: { token: b64(token) },
      },
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: `${id}-kubeconfig`, namespace: "default", labels },
        data: { kubeconfig: b64(kubeconfig) },
      },
      {
        apiVersion: "infrahub.operators.com/v1alpha1",
        kind: "InfrahubSync",
        metadata: { name: id, labels },
        spec: {
          source: {
            infrahubAPIURL: t.sim.url,
            targetBranch: "main",
            artefactName: soakDefinition(slot).artifactName,
            credentialsSecretRef: { name: `${id}-infrahub`, namespace: "default" },
          },
          destination: {
            server: t.server,
            kubeconfigSecretRef: { name: `${id}-kubeconfig`, namespace: "default" },
            reconcileOnEvents: true,
          },
          pollInterval: "1h",
        },
      },
    );
  }
  return items;
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`soak: timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 500));
  }
}

const ready = (o: Json) =>
  o.status?.observedGeneration === o.metadata.generation &&
  (o.status?.conditions ?? []).some((c: Json) => c.type === "Ready" && c.status === "True");

/**
 * One batch of `size` cycles at once: create the Secrets and syncs, wait until every sync and its
 * VidraResource is Ready (the ConfigMap applied through the "remote" destination, drift watches
 * open), then delete the syncs (their VidraResources clean up through the finalizer) and Secrets.
 */
export async function soakBatch(
  t: SoakTarget,
  batch: number,
  opts: { size?: number; whileLive?: () => Promise<void> } = {},
): Promise<void> {
  const size = opts.size ?? SOAK_SLOTS;
  const kubeconfig = readFileSync(t.kubeconfigPath, "utf8");
  const items = objectsOfBatch(t, batch, size, kubeconfig);
  await kubectl(t, ["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items }));
  const selector = `vidra-soak=${batch}`;
  await waitFor(`batch ${batch} Ready`, 180_000, async () => {
    const syncs = JSON.parse(await kubectl(t, ["get", "ihs", "-l", selector, "-o", "json"]));
    if (syncs.items.length !== size || !syncs.items.every(ready)) return false;
    const names = syncs.items.map((s: Json) => s.metadata.name).join(",");
    const vrs = JSON.parse(
      await kubectl(t, [
        "get",
        "vr",
        "-l",
        `infrahub.operators.com/sync in (${names})`,
        "-o",
        "json",
      ]),
    );
    return vrs.items.length === size && vrs.items.every(ready);
  });
  await opts.whileLive?.();
  await kubectl(t, ["delete", "ihs", "-l", selector, "--wait=false"]);
  await waitFor(`batch ${batch} deleted`, 180_000, async () => {
    const left = JSON.parse(await kubectl(t, ["get", "ihs,vr", "-o", "json"]));
    return !left.items.some(
      (o: Json) =>
        o.metadata.labels?.["vidra-soak"] === String(batch) ||
        o.metadata.labels?.["infrahub.operators.com/sync"]?.startsWith(`soak-${batch}-`),
    );
  });
  await kubectl(t, ["delete", "secrets", "-n", "default", "-l", selector, "--wait=false"]);
}

/** The operator's `vidra_cache_entries` gauges, by cache, from one /metrics scrape. */
export function cacheEntries(metricsText: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of metricsText.split("\n")) {
    const m = /^vidra_cache_entries\{cache="([^"]+)"\}\s+(\S+)$/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/** RSS of a process in MiB (Linux). */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}
