/**
 * Checks an http(s) base URL typed into a spec. Returns a problem sentence or undefined.
 * Credentials in the URL are refused: they would end up in status, logs and Events.
 */
export function httpUrlProblem(value: string): string | undefined {
  if (value.trim() !== value || value === "") return "must be a non-empty URL without surrounding spaces";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL; expected something like "https://infrahub.example.com"';
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `must use http or https, not ${url.protocol.replace(":", "")}`;
  if (!url.hostname) return "has no host";
  if (url.username || url.password) return "must not contain credentials; put them in a Secret and reference it";
  if (url.search || url.hash) return "must not have a query string or fragment";
  return undefined;
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
  return !server || server === "https://kubernetes.default.svc" || server === "https://kubernetes.default.svc:443";
}
