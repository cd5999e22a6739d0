import https from "node:https";
import { loadAll } from "js-yaml";
import type { ControlPlaneInfo } from "../control-plane/control-plane";

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

const PLURALS: Record<string, string> = {
  Namespace: "namespaces",
  ConfigMap: "configmaps",
  Service: "services",
  Deployment: "deployments",
};

function pathOf(d: Doc): string {
  const plural = PLURALS[d.kind];
  if (!plural) throw new Error(`raw apply: no plural for ${d.kind}`);
  const base = d.apiVersion.includes("/") ? `/apis/${d.apiVersion}` : `/api/${d.apiVersion}`;
  const ns = d.metadata.namespace ? `/namespaces/${d.metadata.namespace}` : "";
  return `${base}${ns}/${plural}/${d.metadata.name}`;
}

/**
 * The physical limit for a bulk apply on this machine: the same server-side applies, no dry-run,
 * no discovery, no bookkeeping, `inFlight` at a time over keep-alive connections with plain
 * node:https (independent of the operator's client). The Namespace goes first, as the operator does.
 * With `dryRunFirst`, every other object is first sent as a server-side dry-run and none is applied
 * before all dry-runs passed: the floor for the operator's rule of never applying half a bundle
 * that the API server would refuse.
 */
export async function rawApply(
  cluster: ControlPlaneInfo,
  manifest: string,
  opts: { inFlight?: number; dryRunFirst?: boolean } = {},
): Promise<number> {
  const inFlight = opts.inFlight ?? 16;
  const docs = loadAll(manifest).filter(Boolean) as Doc[];
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: inFlight,
    ca: cluster.caPem,
    cert: cluster.clientCertPem,
    key: cluster.clientKeyPem,
  });
  const url = new URL(cluster.server);
  const apply = (d: Doc, dryRun = false): Promise<void> =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify(d);
      const req = https.request(
        {
          host: url.hostname,
          port: url.port,
          method: "PATCH",
          path: `${pathOf(d)}?fieldManager=bench-raw&force=true${dryRun ? "&dryRun=All" : ""}`,
          agent,
          headers: {
            "Content-Type": "application/apply-patch+yaml",
            "Content-Length": Buffer.byteLength(body),
            Accept: "application/json",
          },
        },
        res => {
          res.resume();
          res.on("end", () =>
            res.statusCode && res.statusCode < 300
              ? resolve()
              : reject(new Error(`raw apply ${pathOf(d)}: ${res.statusCode}`)),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  const t0 = performance.now();
  try {
    const first = docs.filter(d => d.kind === "Namespace");
    const rest = docs.filter(d => d.kind !== "Namespace");
    for (const d of first) await apply(d);
    const all = async (dryRun: boolean): Promise<void> => {
      let next = 0;
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (next < rest.length) await apply(rest[next++], dryRun);
        }),
      );
    };
    if (opts.dryRunFirst) await all(true);
    await all(false);
    return performance.now() - t0;
  } finally {
    agent.destroy();
  }
}
