import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * The Standard Webhooks signature scheme as Infrahub 1.11 applies it:
 * `webhook-signature: v1,<base64 HMAC-SHA256(shared_key, "<webhook-id>.<webhook-timestamp>.<body>")>`,
 * the key being the shared key's UTF-8 bytes.
 *
 * Written here instead of taken from the `standardwebhooks` package (which the unit tests use as
 * the reference): that package hard-codes a 5-minute tolerance (ours is configurable), turns a
 * string key into bytes by UTF-16 code unit (so a non-ASCII shared key would not match Infrahub's
 * UTF-8 one), reports failures only as message strings, and hashes in JavaScript where node:crypto
 * has HMAC and a constant-time comparison built in. What is left is an HMAC and a comparison.
 */

/** Why a request was refused; also the metric's `outcome` label. */
export type SignatureFailure = "unsigned" | "bad_signature" | "stale";

export class WebhookSignatureError extends Error {
  constructor(
    readonly reason: SignatureFailure,
    message: string,
  ) {
    super(message);
    this.name = "WebhookSignatureError";
  }
}

export interface SignatureHeaders {
  id?: string;
  timestamp?: string;
  signature?: string;
}

export interface VerifyOptions {
  headers: SignatureHeaders;
  body: Buffer;
  /** Every key that may have signed (a Secret's current and previous key). */
  keys: readonly Buffer[];
  nowMs: number;
  /** Largest accepted distance between the timestamp and now, either way. */
  toleranceMs: number;
}

export interface Verified {
  id: string;
  timestampSeconds: number;
}

const TIMESTAMP = /^\d{1,12}$/;
const SHA256_BYTES = 32;

/** `v1,<base64>` for a message; what Infrahub (and the simulator) put in `webhook-signature`. */
export function sign(
  key: Buffer | string,
  id: string,
  timestamp: number | string,
  body: Buffer | string,
): string {
  const mac = createHmac("sha256", typeof key === "string" ? Buffer.from(key, "utf8") : key);
  mac.update(`${id}.${timestamp}.`);
  mac.update(body);
  return `v1,${mac.digest("base64")}`;
}

/**
 * Infrahub signs `json.dumps(payload, separators=(",", ":"))`, whose default `ensure_ascii` writes
 * every non-ASCII character as `\uXXXX` (UTF-16 code units, lowercase hex), but its HTTP client
 * sends the same JSON with those characters as raw UTF-8. Escaping the received text the way
 * Python does gives back the signed bytes (non-ASCII can only occur inside JSON strings).
 */
export function pythonAsciiJson(body: Buffer): Buffer | undefined {
  if (!body.some(b => b >= 0x80)) return undefined;
  const text = body.toString("utf8");
  if (!Buffer.from(text, "utf8").equals(body)) return undefined; // not valid UTF-8
  return Buffer.from(
    text.replace(/[\u0080-\uffff]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
    "ascii",
  );
}

/**
 * Checks the three Standard Webhooks headers against the body and keys.
 * @throws WebhookSignatureError with reason `unsigned` (a header is missing), `bad_signature`
 *   (no v1 signature matches any key, or the timestamp is not a number) or `stale`.
 */
export function verifySignature(opts: VerifyOptions): Verified {
  const { id, timestamp, signature } = opts.headers;
  if (!id || !timestamp || !signature)
    throw new WebhookSignatureError(
      "unsigned",
      "the request has no webhook-id, webhook-timestamp and webhook-signature headers (set a shared key on the Infrahub webhook)",
    );
  if (!TIMESTAMP.test(timestamp))
    throw new WebhookSignatureError("bad_signature", "webhook-timestamp is not a Unix time");
  const candidates = signature
    .split(" ")
    .map(s => s.trim())
    .filter(s => s.startsWith("v1,"))
    .map(s => Buffer.from(s.slice(3), "base64"))
    .filter(b => b.length === SHA256_BYTES);
  const bodies = [opts.body, pythonAsciiJson(opts.body)].filter((b): b is Buffer => !!b);
  const matches = opts.keys.some(key =>
    bodies.some(body => {
      const expected = Buffer.from(sign(key, id, timestamp, body).slice(3), "base64");
      // Every candidate is compared, so the time taken does not say which one came close.
      return candidates.reduce((ok, c) => timingSafeEqual(c, expected) || ok, false);
    }),
  );
  if (!matches)
    throw new WebhookSignatureError(
      "bad_signature",
      "the webhook-signature does not match the body with the configured shared key",
    );
  const timestampSeconds = Number(timestamp);
  if (Math.abs(opts.nowMs - timestampSeconds * 1000) > opts.toleranceMs)
    throw new WebhookSignatureError(
      "stale",
      `webhook-timestamp ${timestamp} is more than ${Math.round(opts.toleranceMs / 1000)} s away from this server's clock`,
    );
  return { id, timestampSeconds };
}
