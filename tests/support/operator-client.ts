import type { ClusterEnv } from "./operator-env";
import { eventually } from "./cluster";
import { httpsGet } from "../../hack/control-plane/https-probe";

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export function getJson(env: ClusterEnv, args: string[]): Json {
  return JSON.parse(env.kubectl([...args, "-o", "json"]));
}

export function condition(obj: Json, type: string): Condition | undefined {
  return (obj?.status?.conditions ?? []).find((c: Condition) => c.type === type);
}

/** Waits until the object's condition `type` has `status` for the current generation. */
export async function waitForCondition(
  env: ClusterEnv,
  resource: string,
  type: string,
  status: string,
  opts: { timeoutMs?: number; reason?: string } = {},
): Promise<Json> {
  return eventually(
    async () => {
      const obj = getJson(env, ["get", resource]);
      const c = condition(obj, type);
      const fresh = obj.status?.observedGeneration === obj.metadata.generation;
      return fresh && c?.status === status && (!opts.reason || c.reason === opts.reason)
        ? obj
        : undefined;
    },
    {
      timeoutMs: opts.timeoutMs ?? 60_000,
      what: `${resource} ${type}=${status}${opts.reason ? ` (${opts.reason})` : ""}`,
    },
  );
}

/** Sums the values of a Prometheus counter whose labels include all of `match`. */
export async function metric(
  env: ClusterEnv,
  name: string,
  match: Record<string, string> = {},
): Promise<number> {
  return sumMetric(await scrapeMetrics(env), name, match);
}

async function scrapeMetrics(env: ClusterEnv): Promise<string> {
  const res = await httpsGet(`https://127.0.0.1:${env.module.port}/metrics`, {
    ca: env.cluster.cp.details.caPem,
  });
  return res.body;
}

/** The sum of the samples of `name` whose labels include `match`, in one scrape's text. */
function sumMetric(body: string, name: string, match: Record<string, string>): number {
  let sum = 0;
  for (const line of body.split("\n")) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{([^}]*)\})?\s+([0-9.eE+-]+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = Object.fromEntries(
      (m[3] ?? "")
        .split(",")
        .filter(Boolean)
        .map(kv => {
          const i = kv.indexOf("=");
          return [kv.slice(0, i), kv.slice(i + 2, -1)];
        }),
    );
    if (Object.entries(match).every(([k, v]) => labels[k] === v)) sum += Number(m[4]);
  }
  return sum;
}

/**
 * Writes the operator made to any API server (dry-runs and reads excluded). Both counts come from
 * one scrape: from two, a read in between made the difference go negative.
 */
export async function apiWrites(env: ClusterEnv): Promise<number> {
  const body = await scrapeMetrics(env);
  const all = sumMetric(body, "vidra_kube_requests_total", { dry_run: "false" });
  return all - sumMetric(body, "vidra_kube_requests_total", { dry_run: "false", method: "GET" });
}

export function requestSyncNow(env: ClusterEnv, name: string): void {
  env.kubectl([
    "annotate",
    "--overwrite",
    "infrahubsync",
    name,
    `infrahub.operators.com/sync-now=${Date.now()}`,
  ]);
}

/** Asks for a sync now and waits until the sync says it handled that request; returns the sync. */
export async function syncNowAndWait(env: ClusterEnv, name: string): Promise<Json> {
  const before = getJson(env, ["get", "infrahubsync", name]).status?.lastHandledSyncRequest;
  requestSyncNow(env, name);
  return eventually(
    async () => {
      const s = getJson(env, ["get", "infrahubsync", name]);
      const handled = s.status?.lastHandledSyncRequest;
      return handled && handled !== before ? s : undefined;
    },
    { what: `${name} to handle a sync request` },
  );
}

/** The Secret most tests point their syncs at: the simulator's default admin/infrahub. */
export function createInfrahubSecret(env: Pick<ClusterEnv, "kubectl">, name = "infrahub"): void {
  env.kubectl(credentialsSecretArgs(name, "infrahub"));
}

/** `kubectl create secret` for a credentials Secret (user admin) in `default`. */
function credentialsSecretArgs(name: string, password: string): string[] {
  return [
    "create",
    "secret",
    "generic",
    name,
    "-n",
    "default",
    "--from-literal=username=admin",
    `--from-literal=password=${password}`,
  ];
}

/** Creates or replaces a credentials Secret (user admin) in `default`, as a rotation would. */
export function applyInfrahubSecret(env: ClusterEnv, name: string, password: string): void {
  const secret = env.kubectl([
    ...credentialsSecretArgs(name, password),
    "--dry-run=client",
    "-o",
    "json",
  ]);
  env.kubectl(["apply", "-f", "-"], secret);
}
