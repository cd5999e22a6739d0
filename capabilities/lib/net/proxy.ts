import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { HttpProxyAgent, HttpsProxyAgent } from "hpagent";

/**
 * Proxies for outgoing connections, shared by the Kubernetes and Infrahub clients: the proxy a
 * kubeconfig names (`proxy-url`), else HTTPS_PROXY / HTTP_PROXY unless NO_PROXY exempts the host,
 * read as curl reads them (lower-case names first). Unlike Go's net/http, loopback hosts are not
 * exempted implicitly: list them in NO_PROXY, as with curl.
 *
 * The proxy agents come from hpagent (what @kubernetes/client-node uses for `proxy-url`); they tunnel
 * with CONNECT and keep connections alive like the direct agents do.
 */

export type Env = Record<string, string | undefined>;

function envValue(env: Env, name: string): string | undefined {
  const v = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return v && v.trim() ? v.trim() : undefined;
}

function defaultPort(protocol: string): string {
  return protocol === "https:" ? "443" : "80";
}

/** A NO_PROXY entry matches the host (and port): `*`, a domain (and its subdomains), an IP, a CIDR. */
function entryMatches(entry: string, host: string, port: string): boolean {
  let e = entry.trim().toLowerCase();
  if (!e) return false;
  if (e === "*") return true;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(e);
  let entryPort: string | undefined;
  if (bracketed) {
    e = bracketed[1];
    entryPort = bracketed[2];
  } else if (/^[^:]+:\d+$/.test(e)) {
    [e, entryPort] = e.split(":");
  }
  if (entryPort && entryPort !== port) return false;
  if (e.includes("/")) return cidrContains(e, host);
  if (isIP(e)) return isIP(host) > 0 && sameIp(e, host);
  const domain = e.replace(/^\*?\./, "");
  return host === domain || host.endsWith(`.${domain}`);
}

function sameIp(a: string, b: string): boolean {
  return a === b || (isIP(a) === 6 && isIP(b) === 6 && expand6(a) === expand6(b));
}

function expand6(ip: string): string {
  const [head, tail] = ip.split("::");
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail ? tail.split(":") : [];
  const fill = tail !== undefined ? Array(8 - h.length - t.length).fill("0") : [];
  return [...h, ...fill, ...t].map(p => p.padStart(4, "0")).join(":");
}

function ipToBigInt(ip: string): bigint {
  if (isIP(ip) === 4) return ip.split(".").reduce((acc, p) => (acc << 8n) + BigInt(Number(p)), 0n);
  return expand6(ip)
    .split(":")
    .reduce((acc, p) => (acc << 16n) + BigInt(parseInt(p, 16)), 0n);
}

function cidrContains(cidr: string, host: string): boolean {
  const [net, bitsText] = cidr.split("/");
  const family = isIP(net);
  if (!family || isIP(host) !== family) return false;
  const width = family === 4 ? 32 : 128;
  const bits = Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > width) return false;
  const shift = BigInt(width - bits);
  return ipToBigInt(net) >> shift === ipToBigInt(host) >> shift;
}

/** True when NO_PROXY (or no_proxy) exempts `target`. */
export function noProxyMatches(target: URL, env: Env = process.env): boolean {
  const list = envValue(env, "no_proxy");
  if (!list) return false;
  const host = target.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = target.port || defaultPort(target.protocol);
  return list.split(",").some(entry => entryMatches(entry, host, port));
}

/** The proxy from the environment for `target`, or undefined for a direct connection. */
export function proxyFromEnv(target: URL, env: Env = process.env): string | undefined {
  const proxy =
    target.protocol === "https:"
      ? (envValue(env, "https_proxy") ?? envValue(env, "all_proxy"))
      : (envValue(env, "http_proxy") ?? envValue(env, "all_proxy"));
  if (!proxy || noProxyMatches(target, env)) return undefined;
  // "proxy:3128" means http://proxy:3128, as for curl.
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}

/** A proxy URL without its credentials, for messages and logs. */
export function describeProxy(proxy: string): string {
  try {
    const u = new URL(proxy);
    return `${u.protocol}//${u.host}`;
  } catch {
    return "an unparseable proxy URL";
  }
}

/** A proxy this build cannot use. Not retryable: the configuration must change. */
export class UnsupportedProxyError extends Error {
  constructor(proxy: string) {
    super(
      `proxy ${describeProxy(proxy)} is not supported: use an http:// or https:// proxy (CONNECT)`,
    );
    this.name = "UnsupportedProxyError";
  }
}

export interface AgentSpec {
  /** Where requests go: its scheme picks an http or https agent. */
  target: URL;
  /** A proxy URL (http: or https:), or undefined for direct connections. */
  proxy?: string;
  /** TLS options for the target (ca, cert, key, servername, rejectUnauthorized). */
  tls?: https.AgentOptions;
  maxSockets?: number;
}

/** A keep-alive agent to one server, through `spec.proxy` when set. */
export function createHttpAgent(spec: AgentSpec): http.Agent {
  const common = {
    keepAlive: true,
    maxSockets: spec.maxSockets ?? 64,
    scheduling: "lifo" as const,
  };
  const https_ = spec.target.protocol === "https:";
  if (spec.proxy) {
    const proxyUrl = new URL(spec.proxy);
    if (proxyUrl.protocol !== "http:" && proxyUrl.protocol !== "https:")
      throw new UnsupportedProxyError(spec.proxy);
    return https_
      ? new HttpsProxyAgent({ ...common, ...spec.tls, proxy: proxyUrl })
      : new HttpProxyAgent({ ...common, proxy: proxyUrl });
  }
  return https_ ? new https.Agent({ ...common, ...spec.tls }) : new http.Agent(common);
}
