/**
 * http(s) base URLs typed into a spec: the Infrahub address and a destination API server. Messages
 * never repeat the URL: a mistyped one may carry a password anywhere in it.
 */

/** `scheme://`, as typed: the WHATWG parser would also take "https:host" or "https:/host". */
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
/** A DNS name (IPv4 addresses match too); the URL parser has already lowercased it and applied punycode. */
const DNS_HOST =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/;
/** Schemes named in the refusal ("must use http or https, not ftp"); the CRD's CEL rule names the same. */
export const KNOWN_SCHEMES: readonly string[] = [
  "ftp",
  "ftps",
  "sftp",
  "ssh",
  "git",
  "ws",
  "wss",
  "file",
  "grpc",
  "grpcs",
  "tcp",
  "udp",
  "unix",
  "h2c",
  "ldap",
  "ldaps",
  "mailto",
];
const KNOWN_SCHEME_SET = new Set(KNOWN_SCHEMES);
/** Any whitespace or control character. */
const BLANKS = /[\s\p{Cc}]/u;

export interface UrlRuleOptions {
  /** A valid URL of the kind expected, shown in messages. */
  example: string;
  /** Where credentials belong instead, e.g. "a Secret referenced by credentialsSecretRef". */
  credentialsGoTo: string;
}

/** Why `value` is not an acceptable http(s) base URL, or undefined when it is. */
export function httpUrlProblem(value: string, opts: UrlRuleOptions): string | undefined {
  const eg = `e.g. "${opts.example}"`;
  if (value.trim() === "") return `is empty: give an absolute http(s) URL, ${eg}`;
  if (value.trim() !== value) return "has spaces at the start or end: remove them";
  if (BLANKS.test(value))
    return "contains spaces or control characters: remove them (percent-encode them in a path)";
  const scheme = SCHEME.exec(value)?.[1];
  if (!scheme) return `must be an absolute URL starting with http:// or https://, ${eg}`;
  if (!/^https?$/i.test(scheme)) {
    // Only a well-known scheme is named: whatever stands before "://" might be a password.
    const known = KNOWN_SCHEME_SET.has(scheme.toLowerCase()) ? `, not ${scheme.toLowerCase()}` : "";
    return `must use http or https${known}: ${eg}`;
  }
  const authority = value.slice(scheme.length + 3).split(/[/?#\\]/)[0];
  if (authority.includes("@")) {
    return `must not contain credentials (user:password@): they would show in logs and status, put them in ${opts.credentialsGoTo}`;
  }
  if (authority === "") return `has no host, ${eg}`;
  if (value.includes("\\")) return 'must not contain "\\": separate path segments with "/"';
  // A bare "?" or "#" leaves no trace in a parsed URL, so look at the text.
  if (value.includes("?") || value.includes("#")) {
    return `must not have a query string (?…) or fragment (#…): give the base URL only, ${eg}`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `is not a valid URL (check the host name and the port), ${eg}`;
  }
  if (!url.hostname.startsWith("[") && !DNS_HOST.test(url.hostname)) {
    return `has an invalid host "${url.hostname}": use a DNS name (letters, digits, "-" and ".") or an IP address, ${eg}`;
  }
  if (url.port === "0")
    return "has port 0: give the server's port (1-65535), or none for the scheme's default";
  return undefined;
}

/** The URL for a message: scheme, host, port and path only, never credentials, query or fragment. */
export function displayUrl(value: string): string {
  try {
    const url = new URL(value);
    return JSON.stringify(`${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`);
  } catch {
    return "(an invalid URL)";
  }
}

/** The host of a URL as Vidra's Secret labels carry it: no scheme, no port, no brackets. */
export function urlHost(value: string): string {
  try {
    return new URL(value).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return "";
  }
}

/** Vidra treats an empty server and the in-cluster service URL as "this cluster". */
export function isLocalServer(server: string | undefined): boolean {
  return (
    !server ||
    server === "https://kubernetes.default.svc" ||
    server === "https://kubernetes.default.svc:443"
  );
}

const IN_CLUSTER_HOSTS = new Set([
  "kubernetes",
  "kubernetes.default",
  "kubernetes.default.svc",
  "kubernetes.default.svc.cluster.local",
]);

/**
 * A server that names the in-cluster API service in a spelling Vidra does not recognise as local
 * ("https://kubernetes.default.svc/", "…svc.cluster.local"). It would be treated as a remote cluster
 * and wait for a kubeconfig Secret that nobody means to create.
 */
export function inClusterAliasProblem(server: string): string | undefined {
  if (isLocalServer(server)) return undefined;
  let host: string;
  try {
    host = new URL(server).hostname.replace(/\.$/, "");
  } catch {
    return undefined;
  }
  if (!IN_CLUSTER_HOSTS.has(host)) return undefined;
  return (
    'names this cluster\'s own API service, but only an empty server or exactly "https://kubernetes.default.svc" ' +
    "means the local cluster (any other spelling is treated as a remote cluster that needs a kubeconfig Secret): " +
    "write it that way or leave server empty"
  );
}
