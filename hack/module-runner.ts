/**
 * Runs the built Pepr module against a local control plane the way `pepr dev` does (one process in
 * PEPR_MODE=dev: admission server and watcher together), but with what `pepr dev` cannot give a
 * loopback API server: a serving certificate with an IP SAN for 127.0.0.1 (signed by the cluster's
 * CA), a free port instead of the fixed 3000, and webhook configurations taken from the built
 * manifests with their service reference turned into a URL. Several modules can run side by side.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadAll } from "js-yaml";
import type { ControlPlaneInfo } from "./control-plane/control-plane";
import { httpsGet, waitFor } from "./control-plane/https-probe";
import { freePort } from "./control-plane/ports";
import { ManagedProcess } from "./control-plane/processes";
import { WATCHER_NODE_FLAGS } from "./node-flags";

const root = resolve(__dirname, "..");
const distDir = join(root, "dist");
const moduleYaml = join(distDir, "pepr-module-vidra-pepr.yaml");
const moduleJs = join(distDir, "pepr-vidra-pepr.js");

/** Pepr's store CRD: the module's Store watches it even when unused; `pepr dev` applies it too. */
export const PEPR_STORE_CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "peprstores.pepr.dev" },
  spec: {
    group: "pepr.dev",
    scope: "Namespaced",
    names: { plural: "peprstores", singular: "peprstore", kind: "PeprStore" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: { data: { type: "object", additionalProperties: { type: "string" } } },
          },
        },
      },
    ],
  },
};

type Doc = Record<string, unknown> & { kind?: string; metadata?: { name?: string } };

export interface ModuleOptions {
  cluster: ControlPlaneInfo;
  /** Extra environment for the module (e.g. LOG_LEVEL, VIDRA_*). */
  env?: Record<string, string>;
  logFile?: string;
  /**
   * Register the built module's admission webhooks, pointed at https://127.0.0.1:<port> (default
   * true). Off for a remote API server, which cannot reach this machine's loopback address: the
   * module then watches and reconciles, but admission is not enforced.
   */
  registerWebhooks?: boolean;
}

export interface RunningModule {
  port: number;
  /**
   * Base URL of the Infrahub webhook receiver (https://127.0.0.1:<port>, with the module's
   * certificate, signed by the cluster's CA; http:// with VIDRA_WEBHOOK_PLAIN_HTTP=true), or
   * undefined when VIDRA_WEBHOOK_RECEIVER=off. Infrahub posts to <url>/webhooks/infrahub/<Secret>.
   */
  webhookUrl: string | undefined;
  /** The module process (benchmarks read its RSS and CPU time). */
  pid: number | undefined;
  logFile: string;
  logTail(lines?: number): Promise<string>;
  stop(): Promise<void>;
}

/**
 * package.json's `pepr.env`, which Pepr puts on the deployed pods: the module process gets it too
 * (under the caller's environment, so a benchmark can override a value).
 */
export function peprEnv(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    pepr?: { env?: Record<string, string> };
  };
  return pkg.pepr?.env ?? {};
}

/**
 * The deployed watcher's Node.js options (hack/node-flags.ts), or VIDRA_MODULE_NODE_FLAGS's
 * (space-separated; empty for Node's defaults) to compare settings in a benchmark.
 */
export function moduleNodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const given = env.VIDRA_MODULE_NODE_FLAGS;
  return given === undefined ? [...WATCHER_NODE_FLAGS] : given.split(/\s+/).filter(Boolean);
}

function kubectl(kubeconfig: string, args: string[], input?: string): string {
  return execFileSync("kubectl", ["--kubeconfig", kubeconfig, ...args], {
    input,
    encoding: "utf8",
    stdio: ["pipe", "pipe", "pipe"],
  });
}

function builtDocs(): Doc[] {
  if (!existsSync(moduleYaml) || !existsSync(moduleJs)) {
    throw new Error("the module is not built: run `npm run build` (npx pepr build) first");
  }
  return loadAll(readFileSync(moduleYaml, "utf8")) as Doc[];
}

/** The admission webhooks of the built module, pointed at https://127.0.0.1:<port>. */
function webhookConfigs(docs: Doc[], port: number, caPem: string): Doc[] {
  const caBundle = Buffer.from(caPem).toString("base64");
  return docs
    .filter(
      d => d.kind === "ValidatingWebhookConfiguration" || d.kind === "MutatingWebhookConfiguration",
    )
    .map(d => {
      const webhooks = (d.webhooks as Array<Record<string, unknown>>).map(w => {
        const cc = w.clientConfig as { service: { path: string } };
        return {
          ...w,
          clientConfig: { url: `https://127.0.0.1:${port}${cc.service.path}`, caBundle },
        };
      });
      return {
        apiVersion: d.apiVersion,
        kind: d.kind,
        metadata: { name: d.metadata?.name },
        webhooks,
      };
    });
}

function apiPathOf(docs: Doc[]): string {
  const secret = docs.find(d => d.kind === "Secret" && d.metadata?.name?.endsWith("-api-path")) as
    | { data?: { value?: string } }
    | undefined;
  const value = secret?.data?.value;
  if (!value) throw new Error(`no api-path Secret in ${moduleYaml}`);
  return Buffer.from(value, "base64").toString("utf8");
}

/** Installs crds/ (and Pepr's store CRD), waiting until they are served. */
export function installCrds(kubeconfig: string): void {
  kubectl(kubeconfig, [
    "apply",
    "--server-side",
    "--field-manager=vidra-pepr-dev",
    "-f",
    join(root, "crds"),
  ]);
  kubectl(
    kubeconfig,
    ["apply", "--server-side", "--field-manager=vidra-pepr-dev", "-f", "-"],
    JSON.stringify(PEPR_STORE_CRD),
  );
  kubectl(kubeconfig, [
    "wait",
    "--for=condition=Established",
    "--timeout=60s",
    "crd/infrahubsyncs.infrahub.operators.com",
    "crd/vidraresources.infrahub.operators.com",
    "crd/peprstores.pepr.dev",
  ]);
}

export async function startModule(opts: ModuleOptions): Promise<RunningModule> {
  const { cluster } = opts;
  const docs = builtDocs();
  const apiPath = apiPathOf(docs);
  const dir = await mkdtemp(join(tmpdir(), "vidra-pepr-module-"));
  const logFile = opts.logFile ?? join(dir, "module.log");
  const cert = join(dir, "tls.crt");
  const key = join(dir, "tls.key");
  await writeFile(cert, cluster.servingCertPem);
  await writeFile(key, cluster.servingKeyPem, { mode: 0o600 });
  installCrds(cluster.kubeconfigPath);
  kubectl(
    cluster.kubeconfigPath,
    ["apply", "--server-side", "-f", "-"],
    JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: "pepr-system" } }),
  );

  const port = await freePort();
  const webhookPort = await freePort();
  const env: Record<string, string> = {
    VIDRA_WEBHOOK_HOST: "127.0.0.1",
    VIDRA_WEBHOOK_PORT: String(webhookPort),
    ...opts.env,
  };
  const webhookOn = !/^(off|false|0|no)$/i.test(env.VIDRA_WEBHOOK_RECEIVER ?? "");
  const plainHttp = /^(true|1|on|yes)$/i.test(env.VIDRA_WEBHOOK_PLAIN_HTTP ?? "");
  const webhookUrl = webhookOn
    ? `${plainHttp ? "http" : "https"}://127.0.0.1:${env.VIDRA_WEBHOOK_PORT}`
    : undefined;
  const proc = ManagedProcess.start({
    name: "pepr-module",
    command: process.execPath,
    args: [...moduleNodeFlags(), moduleJs],
    logFile,
    cwd: root,
    env: {
      ...peprEnv(),
      ...process.env,
      KUBECONFIG: cluster.kubeconfigPath,
      PEPR_MODE: "dev",
      PEPR_API_PATH: apiPath,
      SSL_KEY_PATH: key,
      SSL_CERT_PATH: cert,
      VIDRA_PEPR_PORT: String(port),
      LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
      ...env,
    },
  });
  const hooks = opts.registerWebhooks === false ? [] : webhookConfigs(docs, port, cluster.caPem);
  const stop = async (): Promise<void> => {
    try {
      for (const h of hooks)
        kubectl(cluster.kubeconfigPath, [
          "delete",
          String(h.kind),
          String(h.metadata?.name),
          "--ignore-not-found",
          "--wait=false",
        ]);
    } catch {
      // the cluster may already be gone
    }
    await proc.stop(5000);
    if (!opts.logFile) await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (!proc.running) throw new Error("module exited");
        const res = await httpsGet(`https://127.0.0.1:${port}/healthz`, { ca: cluster.caPem });
        if (res.status !== 200) return false;
        // The receiver answers a GET on its path with 405 once it listens.
        if (!webhookUrl) return true;
        const probe = `${webhookUrl}/webhooks/infrahub/probe`;
        const hook = plainHttp
          ? (await fetch(probe)).status
          : (await httpsGet(probe, { ca: cluster.caPem })).status;
        return hook === 405;
      },
      {
        timeoutMs: 60_000,
        describe: async () =>
          `the module did not become healthy (${proc.describeExit()}):\n${await proc.logTail(40)}`,
      },
    );
    for (const h of hooks)
      kubectl(
        cluster.kubeconfigPath,
        ["apply", "--server-side", "--force-conflicts", "-f", "-"],
        JSON.stringify(h),
      );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    webhookUrl,
    pid: proc.pid,
    logFile,
    logTail: lines => proc.logTail(lines),
    stop,
  };
}
