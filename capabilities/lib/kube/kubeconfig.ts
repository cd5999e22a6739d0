import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, isAbsolute, join } from "node:path";
import { KubeConfig, type Cluster, type Context, type User } from "@kubernetes/client-node";
import { load } from "js-yaml";
import { errorMessage, OperatorError } from "../errors";

/**
 * Kubeconfigs are @kubernetes/client-node's: KubeConfig parses, validates and types each file
 * (clusters, users, contexts), makes its paths absolute and authenticates (exec plugins, OIDC and
 * other auth providers, client certificates, `proxy-url`, `tls-server-name`, `as`). What stays
 * here is what it does not do the way kubectl does: several KUBECONFIG files merged first-wins
 * (KubeConfig.mergeConfig throws on a duplicate name and lets the last current-context win),
 * kubectl's `tokenFile` (KubeConfig reads its own `token-file` key, once, while parsing),
 * `as-groups`/`as-uid`/`as-user-extra` (it reads only `as`), relative exec commands; and the
 * operator's own rules: the context chosen by server, never a fallback, and kubeconfigs from
 * Secrets with no paths into the operator's filesystem and exec plugins only from an allow-list.
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

/** client-node's user with the kubectl fields it does not read. */
export interface KubeUser extends User {
  tokenFile?: string;
  impersonation: Impersonation;
}

/** A kubeconfig (one file, or several merged) as client-node types it. */
export interface Kubeconfig {
  clusters: Cluster[];
  users: KubeUser[];
  contexts: Context[];
  currentContext?: string;
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec | undefined =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Rec) : undefined;
const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);
const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : undefined;

function impersonationOf(user: Rec): Impersonation {
  const extra = Object.entries(rec(user["as-user-extra"]) ?? {})
    .map(([k, v]) => [k, strings(v) ?? []] as const)
    .filter(([, v]) => v.length);
  return {
    user: str(user.as),
    groups: strings(user["as-groups"]),
    uid: str(user["as-uid"]),
    extra: extra.length ? Object.fromEntries(extra) : undefined,
  };
}

/** Parses a kubeconfig (YAML or JSON) without using it. */
function parseKubeconfig(text: string, origin: string): Kubeconfig {
  let doc: Rec | undefined;
  try {
    doc = rec(load(text));
  } catch (err) {
    throw new KubeconfigError(`${origin} is not valid YAML: ${errorMessage(err).split("\n")[0]}`);
  }
  if (!doc) throw new KubeconfigError(`${origin} is not a kubeconfig (expected a mapping)`);
  const extras = new Map<string, Omit<KubeUser, keyof User>>();
  for (const entry of Array.isArray(doc.users) ? doc.users : []) {
    const user = rec(rec(entry)?.user);
    if (!user) continue;
    // KubeConfig would read its `token-file` while parsing, before a Secret's paths are checked.
    const tokenFile = str(user.tokenFile) ?? str(user["token-file"]);
    delete user["token-file"];
    const name = str(rec(entry)?.name);
    if (name && !extras.has(name))
      extras.set(name, { tokenFile, impersonation: impersonationOf(user) });
  }
  const kc = new KubeConfig();
  try {
    kc.loadFromString(JSON.stringify(doc));
  } catch (err) {
    throw new KubeconfigError(`${origin} is not a valid kubeconfig: ${errorMessage(err)}`);
  }
  return {
    clusters: kc.getClusters(),
    users: kc.getUsers().map(u => ({ impersonation: {}, ...u, ...extras.get(u.name) })),
    contexts: kc.getContexts(),
    currentContext: str(kc.getCurrentContext()),
  };
}

/** Merges kubeconfigs as kubectl merges KUBECONFIG: the first file to name something wins. */
function mergeKubeconfigs(configs: Kubeconfig[]): Kubeconfig {
  const firstWins = <T extends { name: string }>(lists: T[][]): T[] => {
    const seen = new Set<string>();
    return lists.flat().filter(x => !seen.has(x.name) && seen.add(x.name));
  };
  return {
    clusters: firstWins(configs.map(c => c.clusters)),
    users: firstWins(configs.map(c => c.users)),
    contexts: firstWins(configs.map(c => c.contexts)),
    currentContext: configs.find(c => c.currentContext)?.currentContext,
  };
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

function chooseContext(kc: Kubeconfig, opts: SelectOptions): Context {
  const name = opts.context ?? kc.currentContext;
  if (opts.server) {
    const serverOf = (ctx: Context) => kc.clusters.find(c => c.name === ctx.cluster)?.server;
    const matching = kc.contexts.filter(ctx => {
      const s = serverOf(ctx);
      return s !== undefined && sameServer(s, opts.server!);
    });
    if (matching.length === 0) {
      const servers = [...new Set(kc.contexts.map(serverOf).filter(Boolean))];
      throw new KubeconfigError(
        `${opts.origin} has no context for ${opts.server}` +
          (servers.length
            ? ` (its contexts point at ${servers.join(", ")})`
            : " (it has no contexts)") +
          "; the destination is only reached through a context whose cluster server is the destination's server",
      );
    }
    return matching.find(c => c.name === name) ?? matching[0];
  }
  if (!name) throw new KubeconfigError(`${opts.origin} has no current-context`);
  const ctx = kc.contexts.find(c => c.name === name);
  if (!ctx) throw new KubeconfigError(`${opts.origin} has no context named ${name}`);
  return ctx;
}

function checkSecretRules(
  ctx: Context,
  cluster: Cluster,
  user: KubeUser | undefined,
  opts: SelectOptions,
): void {
  const files: Array<[string | undefined, string, string]> = [
    [cluster.caFile, "certificate-authority", "certificate authority"],
    [user?.certFile, "client-certificate", "client certificate"],
    [user?.keyFile, "client-key", "client key"],
    [user?.tokenFile, "tokenFile", "token file"],
  ];
  for (const [path, field, what] of opts.allowFiles ? [] : files) {
    if (path)
      throw new KubeconfigError(
        `${opts.origin}: context ${ctx.name} refers to a ${what} file (${field}); a kubeconfig in a Secret must embed it ` +
          `(${field === "tokenFile" ? "token" : `${field}-data`}), since a path would name a file of the operator's own pod`,
      );
  }
  const provider = rec(user?.authProvider)?.config as Rec | undefined;
  // Every way client-node runs a command: exec plugins, and auth providers' cmd-path or exec.
  const commands = [rec(user?.exec), rec(provider?.exec)].filter(e => e !== undefined);
  for (const exec of commands)
    if (!str(exec.command))
      throw new KubeconfigError(
        `${opts.origin}: user ${user?.name} has an exec plugin without a command`,
      );
  for (const command of [...commands.map(e => e.command), provider?.["cmd-path"]]) {
    if (str(command) && opts.execAllowed && !opts.execAllowed(command as string))
      throw new KubeconfigError(
        `${opts.origin}: user ${user?.name} runs the command ${basename(command as string)}, which the operator is not allowed to run; ` +
          "list it in VIDRA_KUBECONFIG_EXEC_COMMANDS (the operator runs exec plugins from Secrets only when told to)",
      );
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

  /** Narrows `kc` to the context `opts` asks for and checks it can be used. */
  static select(kc: Kubeconfig, opts: SelectOptions): ClusterAccess {
    const ctx = chooseContext(kc, opts);
    const cluster = kc.clusters.find(c => c.name === ctx.cluster);
    if (!cluster)
      throw new KubeconfigError(
        `${opts.origin}: context ${ctx.name} names cluster ${ctx.cluster}, which is not defined`,
      );
    const user = ctx.user ? kc.users.find(u => u.name === ctx.user) : undefined;
    if (ctx.user && !user)
      throw new KubeconfigError(
        `${opts.origin}: context ${ctx.name} names user ${ctx.user}, which is not defined`,
      );
    checkSecretRules(ctx, cluster, user, opts);
    if (cluster.proxyUrl && !/^https?:\/\//i.test(cluster.proxyUrl))
      throw new KubeconfigError(
        `${opts.origin}: cluster ${cluster.name} has a proxy-url the operator cannot use; use an http:// or https:// proxy`,
      );
    // kubectl's `tokenFile` (token wins when both are set): KubeConfig re-reads it every minute.
    const authProvider =
      user?.tokenFile && !user.token && !user.authProvider
        ? { name: "tokenFile", config: { tokenFile: user.tokenFile } }
        : user?.authProvider;
    const userName = ctx.user || "user";
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      // KubeConfig refuses plain-http servers unless TLS verification is off (meaningless without
      // TLS); kubectl talks to them, and so does the operator (a local proxy, a test server).
      clusters: [
        { ...cluster, skipTLSVerify: cluster.skipTLSVerify || /^http:/i.test(cluster.server) },
      ],
      users: [{ ...user, name: userName, authProvider }],
      contexts: [{ ...ctx, user: userName }],
      currentContext: ctx.name,
    });
    const dynamic = Boolean(user?.exec || authProvider);
    return new ClusterAccess(kubeConfig, opts.origin, user?.impersonation ?? {}, dynamic);
  }

  /** A one-context kubeconfig from literal connection details. */
  static fromConnection(conn: ClusterConnection): ClusterAccess {
    const b64 = (s: string | undefined) => (s ? Buffer.from(s).toString("base64") : undefined);
    return ClusterAccess.select(
      {
        clusters: [
          {
            name: "cluster",
            server: conn.server,
            caData: b64(conn.caPem),
            skipTLSVerify: conn.insecureSkipTlsVerify ?? false,
            tlsServerName: conn.tlsServerName,
            proxyUrl: conn.proxyUrl,
          },
        ],
        users: [
          {
            name: "user",
            certData: b64(conn.certPem),
            keyData: b64(conn.keyPem),
            token: conn.token,
            tokenFile: conn.tokenFile,
            impersonation: conn.impersonate ?? {},
          },
        ],
        contexts: [{ name: "default", cluster: "cluster", user: "user" }],
        currentContext: "default",
      },
      { origin: conn.origin, allowFiles: true },
    );
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
export function loadKubeconfigFiles(files: string[]): Kubeconfig {
  return mergeKubeconfigs(
    files.map(file => {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch {
        throw new KubeconfigError(`cannot read the kubeconfig ${file}`);
      }
      const kc = parseKubeconfig(text, `kubeconfig ${file}`);
      const dir = dirname(file);
      const abs = (p: string) => (isAbsolute(p) ? p : join(dir, p));
      // KubeConfig resolves certificate-authority, client-certificate and client-key in place.
      const loader = new KubeConfig();
      loader.loadFromOptions(kc);
      loader.makePathsAbsolute(dir);
      // tokenFile too, and an exec command with a path separator (client-go does both).
      kc.users = kc.users.map(u => ({
        ...u,
        tokenFile: u.tokenFile && abs(u.tokenFile),
        exec: str(u.exec?.command)?.includes("/")
          ? { ...u.exec, command: abs(u.exec.command) }
          : u.exec,
      }));
      return kc;
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
  const files = listed.filter(f => existsSync(f));
  if (listed.length && files.length === 0)
    throw new KubeconfigError(`none of the files in KUBECONFIG exists (${listed.join(", ")})`);
  const home = join(env.HOME ?? homedir(), ".kube", "config");
  if (!listed.length && existsSync(home)) files.push(home);
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
