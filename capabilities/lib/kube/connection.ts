import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { load } from "js-yaml";
import { OperatorError } from "../errors";

/** Everything needed to talk to one API server. Secret material stays in memory only. */
export interface ClusterConnection {
  server: string;
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
  /** Read on every request (projected service-account tokens rotate). */
  tokenFile?: string;
  insecureSkipTlsVerify?: boolean;
  /**
   * Act as this user on every request (the `Impersonate-User` header): a kubeconfig user's `as`,
   * @kubernetes/client-node's `User.impersonateUser`. The operator sets it to
   * `system:serviceaccount:<ns>:<name>` so a sync's writes are authorized as that ServiceAccount.
   */
  impersonateUser?: string;
  /** For messages: where this connection came from (never the content). */
  origin: string;
}

/** A kubeconfig that cannot be used. Not retryable until someone fixes the kubeconfig. */
export class KubeconfigError extends OperatorError {
  constructor(message: string) {
    super(message, { reason: "InvalidKubeconfig", retryable: false });
  }
}

interface NamedItem<T> {
  name?: string;
  [key: string]: unknown;
  value?: T;
}

type Rec = Record<string, unknown>;

function rec(v: unknown): Rec | undefined {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Rec) : undefined;
}

function findNamed(list: unknown, name: string, field: string): Rec | undefined {
  if (!Array.isArray(list)) return undefined;
  const item = (list as NamedItem<unknown>[]).find(i => i?.name === name);
  return rec(item?.[field]);
}

function decodeData(v: unknown): string | undefined {
  return typeof v === "string" && v ? Buffer.from(v, "base64").toString("utf8") : undefined;
}

function readRelative(
  baseDir: string | undefined,
  file: unknown,
  what: string,
  origin: string,
): string | undefined {
  if (typeof file !== "string" || !file) return undefined;
  const path = isAbsolute(file) || !baseDir ? file : join(baseDir, file);
  try {
    return readFileSync(path, "utf8");
  } catch {
    throw new KubeconfigError(`${origin}: cannot read the ${what} file ${path}`);
  }
}

export interface KubeconfigOptions {
  /** Where the text came from, for messages ("Secret ns/name key kubeconfig"). */
  origin: string;
  /** Directory relative file references are resolved against; files are refused when unset. */
  baseDir?: string;
  context?: string;
  /**
   * Pick the context whose cluster server matches this URL (Vidra matched on the host); falls back to
   * current-context.
   */
  server?: string;
}

function sameServer(a: string, b: string): boolean {
  const norm = (s: string): string => s.replace(/\/+$/, "").toLowerCase();
  return norm(a) === norm(b);
}

/**
 * Parses a kubeconfig (YAML or JSON). Supports embedded or file certificates, bearer tokens and token
 * files; exec and auth-provider plugins are refused with a clear message, because the operator image
 * has no cloud CLIs to run them.
 */
export function connectionFromKubeconfig(text: string, opts: KubeconfigOptions): ClusterConnection {
  let doc: Rec | undefined;
  try {
    doc = rec(load(text));
  } catch (err) {
    throw new KubeconfigError(
      `${opts.origin} is not valid YAML: ${(err as Error).message.split("\n")[0]}`,
    );
  }
  if (!doc) throw new KubeconfigError(`${opts.origin} is not a kubeconfig (expected a mapping)`);
  const contexts = Array.isArray(doc.contexts) ? (doc.contexts as Rec[]) : [];
  let contextName =
    opts.context ??
    (typeof doc["current-context"] === "string" ? (doc["current-context"] as string) : undefined);
  if (opts.server) {
    const match = contexts.find(c => {
      const clusterName = rec(c.context)?.cluster;
      const cluster =
        typeof clusterName === "string"
          ? findNamed(doc?.clusters, clusterName, "cluster")
          : undefined;
      return typeof cluster?.server === "string" && sameServer(cluster.server, opts.server!);
    });
    if (typeof match?.name === "string") contextName = match.name;
  }
  if (!contextName)
    throw new KubeconfigError(
      `${opts.origin} has no current-context and no context for ${opts.server ?? "the server"}`,
    );
  const context = findNamed(doc.contexts, contextName, "context");
  if (!context) throw new KubeconfigError(`${opts.origin} has no context named ${contextName}`);
  const clusterName = String(context.cluster ?? "");
  const cluster = findNamed(doc.clusters, clusterName, "cluster");
  if (!cluster || typeof cluster.server !== "string") {
    throw new KubeconfigError(
      `${opts.origin}: context ${contextName} names cluster ${clusterName}, which has no server`,
    );
  }
  const userName = typeof context.user === "string" ? context.user : "";
  const user = userName ? (findNamed(doc.users, userName, "user") ?? {}) : {};
  if (user.exec || user["auth-provider"]) {
    throw new KubeconfigError(
      `${opts.origin}: user ${userName} uses an exec or auth-provider plugin, which the operator cannot run; ` +
        "use a kubeconfig with a client certificate or a (service-account) token",
    );
  }
  const fileOk = opts.baseDir !== undefined;
  const readFile = (v: unknown, what: string): string | undefined => {
    if (typeof v === "string" && v && !fileOk) {
      throw new KubeconfigError(
        `${opts.origin}: the ${what} must be embedded (*-data), not a file path`,
      );
    }
    return readRelative(opts.baseDir, v, what, opts.origin);
  };
  return {
    server: cluster.server.replace(/\/+$/, ""),
    caPem:
      decodeData(cluster["certificate-authority-data"]) ??
      readFile(cluster["certificate-authority"], "certificate authority"),
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
    certPem:
      decodeData(user["client-certificate-data"]) ??
      readFile(user["client-certificate"], "client certificate"),
    keyPem: decodeData(user["client-key-data"]) ?? readFile(user["client-key"], "client key"),
    token: typeof user.token === "string" && user.token ? user.token : undefined,
    tokenFile: typeof user.tokenFile === "string" && fileOk ? user.tokenFile : undefined,
    impersonateUser: typeof user.as === "string" && user.as ? user.as : undefined,
    origin: opts.origin,
  };
}

/** The same connection acting as another user (see ClusterConnection.impersonateUser). */
export function impersonating(conn: ClusterConnection, user: string): ClusterConnection {
  return { ...conn, impersonateUser: user, origin: `${conn.origin} as ${user}` };
}

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The pod's own identity, as client-go's rest.InClusterConfig builds it. */
export function inClusterConnection(): ClusterConnection | undefined {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT;
  if (!host || !port || !existsSync(join(SA_DIR, "token"))) return undefined;
  const h = host.includes(":") ? `[${host}]` : host;
  return {
    server: `https://${h}:${port}`,
    caPem: readFileSync(join(SA_DIR, "ca.crt"), "utf8"),
    tokenFile: join(SA_DIR, "token"),
    origin: "in-cluster service account",
  };
}

/**
 * The operator's own cluster: $KUBECONFIG (first file), then ~/.kube/config, then the in-cluster
 * service account — the order kubectl and client-go use.
 */
export function defaultConnection(env: NodeJS.ProcessEnv = process.env): ClusterConnection {
  const candidates = [
    ...(env.KUBECONFIG ?? "").split(":").filter(Boolean),
    join(homedir(), ".kube", "config"),
  ];
  for (const file of candidates) {
    if (existsSync(file)) {
      return connectionFromKubeconfig(readFileSync(file, "utf8"), {
        origin: `kubeconfig ${file}`,
        baseDir: dirname(file),
      });
    }
  }
  const inCluster = inClusterConnection();
  if (inCluster) return inCluster;
  throw new KubeconfigError(
    "no kubeconfig found: set KUBECONFIG, create ~/.kube/config, or run in a pod",
  );
}
