import { InfrahubConfigError } from "./errors";

/**
 * Anything that looks like (part of) a JWT: a base64url run starting `eyJ` (`{"`), with up to two
 * more segments. Partial tokens count too: a cut-off token still identifies a session.
 */
const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{6,}(?:\.[A-Za-z0-9_-]*){0,2}/g;
const MAX_MESSAGE_LENGTH = 300;
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
    // The text itself is not repeated: a mistyped URL may carry credentials in any position.
    throw new InfrahubConfigError(
      "The configured Infrahub URL is not a valid URL; use an absolute URL such as https://infrahub.example.com.",
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

/** Server messages made safe to show: secrets scrubbed first, then shortened to 300 characters. */
export function presentMessages(messages: readonly string[], secrets: Iterable<string>): string[] {
  const list = [...secrets];
  return messages.map(m => {
    const clean = scrubSecrets(m, list);
    return clean.length > MAX_MESSAGE_LENGTH ? `${clean.slice(0, MAX_MESSAGE_LENGTH)}…` : clean;
  });
}

/** A short, printable excerpt of an unexpected body, for error messages. */
export function bodyExcerpt(body: Buffer, secrets: Iterable<string>, max = 120): string {
  // Scrub before cutting, so a secret straddling the cut cannot leak in part.
  const text = scrubSecrets(body.subarray(0, 65_536).toString("utf8"), secrets)
    .replace(/[^\x21-\x7e]+/g, " ")
    .trim();
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
