import { InfrahubConfigError } from "./errors";

/** Compact JWS (three base64url segments, header starting `{"`): what Infrahub's tokens look like. */
const JWT_PATTERN = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const USERINFO_PATTERN = /\/\/[^/@\s]*@/g;
const REDACTED = "[redacted]";

/**
 * Replaces every known secret, anything shaped like a JWT and URL user info in `text`.
 * Applied to every string that comes from the server or the network before it reaches an error
 * message or a log record, because Infrahub (or a proxy) may echo what it was sent.
 */
export function scrubSecrets(text: string, secrets: Iterable<string>): string {
  let out = text;
  // Longest first, so a secret that contains another is replaced whole.
  const sorted = [...secrets].filter(s => s.length >= 3).sort((a, b) => b.length - a.length);
  for (const secret of sorted) out = out.split(secret).join(REDACTED);
  return out.replace(JWT_PATTERN, REDACTED).replace(USERINFO_PATTERN, `//${REDACTED}@`);
}

/**
 * The normalised base address of an Infrahub URL: scheme, host, port and path prefix, with no
 * user info, query, fragment or trailing slash. Safe to print.
 * @throws InfrahubConfigError for a malformed URL or a scheme other than http/https
 */
export function normaliseAddress(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new InfrahubConfigError(
      `The Infrahub URL ${JSON.stringify(scrubSecrets(url, []))} is not a valid URL; use e.g. https://infrahub.example.com.`,
    );
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new InfrahubConfigError(
      `The Infrahub URL scheme ${JSON.stringify(parsed.protocol)} is not supported; use http:// or https://.`,
    );
  }
  const path = parsed.pathname.replace(/\/+$/, "");
  return `${parsed.protocol}//${parsed.host}${path}`;
}

/** A short, printable excerpt of an unexpected body, for error messages. */
export function bodyExcerpt(body: Buffer, secrets: Iterable<string>, max = 120): string {
  // Scrub before cutting, so a secret straddling the cut cannot leak in part.
  const text = scrubSecrets(body.subarray(0, 65_536).toString("utf8"), secrets)
    .replace(/[^\x20-\x7e]+/g, " ")
    .trim();
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
