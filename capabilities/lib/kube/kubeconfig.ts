import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, isAbsolute, join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { dump, load } from "js-yaml";
import { OperatorError } from "../errors";

/**
 * Kubeconfigs, loaded and authenticated by @kubernetes/client-node's KubeConfig (exec plugins,
 * OIDC and other auth providers, token files, client certificates, `proxy-url`,
 * `tls-server-name`, `as`). What stays here is what KubeConfig does not do the way kubectl does:
 * merging several KUBECONFIG files (first file wins; KubeConfig throws on duplicates and lets the
 * last current-context win), picking the context by server for remote destinations, `tokenFile`
 * (KubeConfig reads a `token-file` key kubectl never writes), `as-groups`/`as-uid`/`as-user-extra`
 * (KubeConfig reads only `as`), and the rules for kubeconfigs taken from Secrets (no paths into the
 * operator's filesystem, exec plugins only from an allow-list).
 */

/** A kubeconfig that cannot be used. Not retryable until someone fixes the kubeconfig. */
export class KubeconfigError extends OperatorError {
  constructor(message: string) {
    super(message, { reason: "InvalidKubeconfig", retryable: false });
  }
}

/** Who requests are made as, on top of the credentials (Impersonate-* headers). */
export interface Impersonation {
  user?: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

/**
 * The literal form of a connection (tests, tools): turned into a one-context kubeconfig by
 * ClusterAccess.fromConnection.
 */
export interface ClusterConnection {
  server: string;
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
  /** Read again while the client runs (projected service-account tokens rotate). */
  tokenFile?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
  proxyUrl?: string;
  impersonate?: Impersonation;
  /** For messages: where this connection came from (never the content). */
  origin: string;
}

type Rec = Record<string, unknown>;
interface Named extends Rec {
  name: string;
}

/** A parsed kubeconfig, before KubeConfig sees it. */
export interface RawKubeconfig {
  clusters: Named[];
  users: Named[];
  contexts: Named[];
  currentContext?: string;
}

function rec(v: unknown): Rec | undefined {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Rec) : undefined;
}

function namedList(v: unknown, field: string, what: string, origin: string): Named[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new KubeconfigError(`${origin}: ${what} must be a list`);
  return v.map((item, i) => {
    const r = rec(item);
    if (!r || typeof r.name !== "string" || !r.name)
      throw new KubeconfigError(`${origin}: ${what}[${i}] has no name`);
    if (r[field] !== undefined && r[field] !== null && !rec(r[field]))
      throw new KubeconfigError(`${origin}: ${what}[${i}].${field} must be a mapping`);
    return { ...r, [field]: rec(r[field]) ?? {} } as Named;
  });
}

/** Parses a kubeconfig (YAML or JSON) without interpreting it. */
export function parseKubeconfig(text: string, origin: string): RawKubeconfig {
  let doc: Rec | undefined;
  try {
    doc = rec(load(text));
  } catch (err) {
    throw new KubeconfigError(
      `${origin} is not valid YAML: ${(err as Error).message.split("\n")[0]}`,
    );
  }
  if (!doc) throw new KubeconfigError(`${origin} is not a kubeconfig (expected a mapping)`);
  const current = doc["current-context"];
  return {
    clusters: namedList(doc.clusters, "cluster", "clusters", origin),
    users: namedList(doc.users, "user", "users", origin),
    contexts: namedList(doc.contexts, "context", "contexts", origin),
    currentContext: typeof current === "string" && current ? current : undefined,
  };
}

const inner = (n: Named | undefined, field: string): Rec => rec(n?.[field]) ?? {};

/** Resolves relative file references against the kubeconfig's directory, as kubectl does. */
function absolutePaths(raw: RawKubeconfig, dir: string): RawKubeconfig {
  const abs = (v: unknown): unknown =>
    typeof v === "string" && v && !isAbsolute(v) ? join(dir, v) : v;
  return {
    ...raw,
    clusters: raw.clusters.map(c => {
      const cluster = { ...inner(c, "cluster") };
      if (cluster["certificate-authority"])
        cluster["certificate-authority"] = abs(cluster["certificate-authority"]);
      return { ...c, cluster };
    }),
    users: raw.users.map(u => {
      const user = { ...inner(u, "user") };
      for (const k of ["client-certificate", "client-key", "tokenFile"])
        if (user[k]) user[k] = abs(user[k]);
      // An exec command with a path separator is relative to the kubeconfig (client-go does so).
      const exec = rec(user.exec);
      if (exec && typeof exec.command === "string" && exec.command.includes("/"))
        user.exec = { ...exec, command: abs(exec.command) };
      return { ...u, user };
    }),
  };
}

/** Merges kubeconfigs as kubectl merges KUBECONFIG: the first file to name something wins. */
export function mergeKubeconfigs(configs: RawKubeconfig[]): RawKubeconfig {
  const merged: RawKubeconfig = { clusters: [], users: [], contexts: [] };
  for (const c of configs) {
    for (const key of ["clusters", "users", "contexts"] as const) {
      for (const item of c[key])
        if (!merged[key].some(m => m.name === item.name)) merged[key].push(item);
    }
    merged.currentContext ??= c.currentContext;
  }
  return merged;
}

/** Compares API server URLs the way a person would: scheme, host, port (defaulted), path. */
export function sameServer(a: string, b: string): boolean {
  const norm = (s: string): string => {
    try {
      const u = new URL(s);
      const port = u.port || (u.protocol === "https:" ? "443" : "80");
      return `${u.protocol}//${u.hostname.toLowerCase()}:${port}${u.pathname.replace(/\/+$/, "")}`;
    } catch {
      return s.replace(/\/+$/, "").toLowerCase();
    }
  };
  return norm(a) === norm(b);
}

export interface SelectOptions {
  /** Where the kubeconfig came from, for messages ("kubeconfig in Secret ns/name"). */
  origin: string;
  /** Use the context whose cluster server is this URL; no such context is an error. */
  server?: string;
  /** Use this context (otherwise current-context). */
  context?: string;
  /**
   * A kubeconfig from a Secret must not point into the operator's filesystem (certificate, key and
   * token files): those would be the operator's own files.
   */
  allowFiles: boolean;
  /** Exec plugins (and auth providers that run a command) allowed to run; all when undefined. */
  execAllowed?: (command: string) => boolean;
}

const FILE_FIELDS: Array<[scope: "cluster" | "user", field: string, what: string]> = [
  ["cluster", "certificate-authority", "certificate authority"],
  ["user", "client-certificate", "client certificate"],
  ["user", "client-key", "client key"],
  ["user", "tokenFile", "token file"],
];

function chooseContext(raw: RawKubeconfig, opts: SelectOptions): Named {
  if (opts.server) {
    const serverOf = (ctx: Named): string | undefined => {
      const cluster = raw.clusters.find(c => c.name === inner(ctx, "context").cluster);
      const s = inner(cluster, "cluster").server;
      return typeof s === "string" ? s : undefined;
    };
    const matching = raw.contexts.filter(ctx => {
      const s = serverOf(ctx);
      return s !== undefined && sameServer(s, opts.server!);
    });
    if (matching.length === 0) {
      const servers = [...new Set(raw.contexts.map(serverOf).filter(Boolean))];
      throw new KubeconfigError(
        `${opts.origin} has no context for ${opts.server}` +
          (servers.length
            ? ` (its contexts point at ${servers.join(", ")})`
            : " (it has no contexts)") +
          "; the destination is only reached through a context whose cluster server is the destination's server",
      );
    }
    return matching.find(c => c.name === (opts.context ?? raw.currentContext)) ?? matching[0];
  }
  const name = opts.context ?? raw.currentContext;
  if (!name) throw new KubeconfigError(`${opts.origin} has no current-context`);
  const ctx = raw.contexts.find(c => c.name === name);
  if (!ctx) throw new KubeconfigError(`${opts.origin} has no context named ${name}`);
  return ctx;
}

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : undefined;
}

function impersonationOf(user: Rec): Impersonation {
  const extra: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(rec(user["as-user-extra"]) ?? {})) {
    const values = stringList(v);
    if (values?.length) extra[k] = values;
  }
  return {
    user: typeof user.as === "string" && user.as ? user.as : undefined,
    groups: stringList(user["as-groups"]),
    uid: typeof user["as-uid"] === "string" && user["as-uid"] ? user["as-uid"] : undefined,
    extra: Object.keys(extra).length ? extra : undefined,
  };
}

function checkSecretRules(
  ctxName: string,
  cluster: Rec,
  user: Rec,
  userName: string,
  opts: SelectOptions,
): void {
  if (!opts.allowFiles) {
    for (const [scope, field, what] of FILE_FIELDS) {
      const value = (scope === "cluster" ? cluster : user)[field];
      if (typeof value === "string" && value) {
        throw new KubeconfigError(
          `${opts.origin}: context ${ctxName} refers to a ${what} file (${field}); a kubeconfig in a Secret must embed it ` +
            `(${field === "tokenFile" ? "token" : `${field}-data`}), since a path would name a file of the operator's own pod`,
        );
      }
    }
  }
  const commands: string[] = [];
  const exec = rec(user.exec);
  if (exec) {
    if (typeof exec.command !== "string" || !exec.command)
      throw new KubeconfigError(
        `${opts.origin}: user ${userName} has an exec plugin without a command`,
      );
    commands.push(exec.command);
  }
  const provider = rec(user["auth-provider"]);
  const cmdPath = rec(provider?.config)?.["cmd-path"];
  if (typeof cmdPath === "string" && cmdPath) commands.push(cmdPath);
  for (const command of commands) {
    if (opts.execAllowed && !opts.execAllowed(command)) {
      throw new KubeconfigError(
        `${opts.origin}: user ${userName} runs the command ${basename(command)}, which the operator is not allowed to run; ` +
          "list it in VIDRA_KUBECONFIG_EXEC_COMMANDS (the operator runs exec plugins from Secrets only when told to)",
      );
    }
  }
}

/**
 * A kubeconfig narrowed to one context, whose KubeConfig authenticates requests. The context's user
 * is always present (KubeConfig skips the cluster's CA for a context without a user).
 */
export class ClusterAccess {
  private constructor(
    readonly kubeConfig: KubeConfig,
    readonly origin: string,
    readonly impersonation: Impersonation,
    /** Credentials that change over time (exec plugins, auth providers, token files). */
    readonly dynamicAuth: boolean,
  ) {}

  get server(): string {
    return this.kubeConfig.getCurrentCluster()!.server;
  }

  /** The kubeconfig's `proxy-url`, if any. */
  get proxyUrl(): string | undefined {
    return this.kubeConfig.getCurrentCluster()?.proxyUrl || undefined;
  }

  /** Narrows `raw` to the context `opts` asks for and checks it can be used. */
  static select(raw: RawKubeconfig, opts: SelectOptions): ClusterAccess {
    const ctx = chooseContext(raw, opts);
    const context = inner(ctx, "context");
    const clusterName = typeof context.cluster === "string" ? context.cluster : "";
    const clusterEntry = raw.clusters.find(c => c.name === clusterName);
    const cluster = inner(clusterEntry, "cluster");
    if (!clusterEntry || typeof cluster.server !== "string" || !cluster.server) {
      throw new KubeconfigError(
        `${opts.origin}: context ${ctx.name} names cluster ${clusterName || "(none)"}, which has no server`,
      );
    }
    const userName = typeof context.user === "string" && context.user ? context.user : "";
    const userEntry = userName ? raw.users.find(u => u.name === userName) : undefined;
    if (userName && !userEntry)
      throw new KubeconfigError(
        `${opts.origin}: context ${ctx.name} names user ${userName}, which is not defined`,
      );
    const user: Rec = { ...inner(userEntry, "user") };
    checkSecretRules(ctx.name, cluster, user, userName, opts);
    const proxy = cluster["proxy-url"];
    if (typeof proxy === "string" && proxy && !/^https?:\/\//i.test(proxy))
      throw new KubeconfigError(
        `${opts.origin}: cluster ${clusterName} has a proxy-url the operator cannot use; use an http:// or https:// proxy`,
      );
    // kubectl's `tokenFile` (token wins when both are set); KubeConfig re-reads it every minute.
    if (
      typeof user.tokenFile === "string" &&
      user.tokenFile &&
      !user.token &&
      !user["auth-provider"]
    )
      user["auth-provider"] = { name: "tokenFile", config: { tokenFile: user.tokenFile } };
    // KubeConfig refuses plain-http servers unless TLS verification is off (meaningless without
    // TLS); kubectl talks to them, and so does the operator (a local proxy, a test server).
    const forKc = /^http:/i.test(cluster.server)
      ? { ...cluster, "insecure-skip-tls-verify": true }
      : cluster;
    const kc = new KubeConfig();
    kc.loadFromString(
      dump({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "cluster", cluster: forKc }],
        users: [{ name: userName || "user", user }],
        contexts: [
          { name: ctx.name, context: { ...context, cluster: "cluster", user: userName || "user" } },
        ],
        "current-context": ctx.name,
      }),
    );
    const dynamic = Boolean(user.exec || user["auth-provider"]);
    return new ClusterAccess(kc, opts.origin, impersonationOf(user), dynamic);
  }

  /** A one-context kubeconfig from literal connection details. */
  static fromConnection(conn: ClusterConnection): ClusterAccess {
    const b64 = (s: string | undefined) => (s ? Buffer.from(s).toString("base64") : undefined);
    const i = conn.impersonate ?? {};
    const raw: RawKubeconfig = {
      clusters: [
        {
          name: "cluster",
          cluster: {
            server: conn.server,
            "certificate-authority-data": b64(conn.caPem),
            "insecure-skip-tls-verify": conn.insecureSkipTlsVerify || undefined,
            "tls-server-name": conn.tlsServerName,
            "proxy-url": conn.proxyUrl,
          },
        },
      ],
      users: [
        {
          name: "user",
          user: {
            "client-certificate-data": b64(conn.certPem),
            "client-key-data": b64(conn.keyPem),
            token: conn.token,
            tokenFile: conn.tokenFile,
            as: i.user,
            "as-groups": i.groups,
            "as-uid": i.uid,
            "as-user-extra": i.extra,
          },
        },
      ],
      contexts: [{ name: "default", context: { cluster: "cluster", user: "user" } }],
      currentContext: "default",
    };
    return ClusterAccess.select(JSON.parse(JSON.stringify(raw)) as RawKubeconfig, {
      origin: conn.origin,
      allowFiles: true,
    });
  }
}

/** A kubeconfig from a Secret (or any text): files refused, the context chosen by `server`. */
export function accessFromKubeconfigText(
  text: string,
  opts: Omit<SelectOptions, "allowFiles">,
): ClusterAccess {
  return ClusterAccess.select(parseKubeconfig(text, opts.origin), { ...opts, allowFiles: false });
}

/** Reads kubeconfig files and merges them (KUBECONFIG's list order). */
export function loadKubeconfigFiles(files: string[]): RawKubeconfig {
  return mergeKubeconfigs(
    files.map(file => {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch {
        throw new KubeconfigError(`cannot read the kubeconfig ${file}`);
      }
      return absolutePaths(parseKubeconfig(text, `kubeconfig ${file}`), dirname(file));
    }),
  );
}

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * The operator's own cluster: $KUBECONFIG (all its files, merged), then ~/.kube/config, then the
 * in-cluster service account — the order kubectl uses, with in-cluster last.
 */
export function defaultAccess(
  env: NodeJS.ProcessEnv = process.env,
  context?: string,
): ClusterAccess {
  const listed = (env.KUBECONFIG ?? "").split(":").filter(Boolean);
  const files = listed.length ? listed.filter(f => existsSync(f)) : [];
  if (listed.length && files.length === 0)
    throw new KubeconfigError(`none of the files in KUBECONFIG exists (${listed.join(", ")})`);
  if (!listed.length) {
    const home = join(env.HOME ?? homedir(), ".kube", "config");
    if (existsSync(home)) files.push(home);
  }
  if (files.length) {
    return ClusterAccess.select(loadKubeconfigFiles(files), {
      origin: `kubeconfig ${files.join(":")}`,
      context,
      allowFiles: true,
    });
  }
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (host && port && existsSync(join(SA_DIR, "token"))) {
    const h = host.includes(":") ? `[${host}]` : host;
    return ClusterAccess.fromConnection({
      server: `https://${h}:${port}`,
      caPem: readFileSync(join(SA_DIR, "ca.crt"), "utf8"),
      tokenFile: join(SA_DIR, "token"),
      origin: "in-cluster service account",
    });
  }
  throw new KubeconfigError(
    "no kubeconfig found: set KUBECONFIG, create ~/.kube/config, or run in a pod",
  );
}

/** VIDRA_KUBECONFIG_EXEC_COMMANDS: the exec plugins a kubeconfig from a Secret may run. */
export function execAllowList(value: string | undefined): (command: string) => boolean {
  const allowed = new Set(
    (value ?? "")
      .split(",")
      .map(s => s.trim())
      .filter(Boolean),
  );
  // Matched as the kubeconfig writes it: "aws" allows `command: aws` (found on PATH), a path only that path.
  return command => allowed.has(command);
}
