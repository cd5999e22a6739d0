/**
 * Just enough JWT to schedule refreshes: the payload's `iat`/`exp`, read without verifying the
 * signature (the server verifies; we only need to know when to renew).
 */

export interface TokenTimes {
  /** Epoch seconds, from the token. */
  issuedAt?: number;
  expiresAt?: number;
}

/** `iat`/`exp` of a compact JWT, or an empty object when the token is not a readable JWT. */
export function decodeTokenTimes(token: string): TokenTimes {
  const parts = token.split(".");
  if (parts.length !== 3) return {};
  try {
    const payload = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as unknown;
    if (typeof payload !== "object" || payload === null) return {};
    const { iat, exp } = payload as { iat?: unknown; exp?: unknown };
    return {
      issuedAt: typeof iat === "number" && Number.isFinite(iat) ? iat : undefined,
      expiresAt: typeof exp === "number" && Number.isFinite(exp) ? exp : undefined,
    };
  } catch {
    return {};
  }
}

/** A token as we hold it: when it expires and when to renew it, on our own clock. */
export interface HeldToken {
  value: string;
  /** Local epoch ms after which the token is no longer accepted; undefined when unknown. */
  expiresAtMs?: number;
  /** Local epoch ms from which we renew it proactively. */
  renewAtMs?: number;
}

/** Renew when less than min(60 s, 10 % of the lifetime) is left. */
const RENEW_MARGIN_MAX_MS = 60_000;
const RENEW_MARGIN_FRACTION = 0.1;

/**
 * Turns a freshly received token into local expiry times. With `iat` present the lifetime
 * (exp − iat) is added to our receive time, so a skewed clock between operator and Infrahub
 * does not make us renew too late or on every request.
 */
export function holdToken(value: string, receivedAtMs: number): HeldToken {
  const { issuedAt, expiresAt } = decodeTokenTimes(value);
  if (expiresAt === undefined) return { value };
  const lifetimeMs =
    issuedAt !== undefined && expiresAt > issuedAt
      ? (expiresAt - issuedAt) * 1000
      : expiresAt * 1000 - receivedAtMs;
  const expiresAtMs = receivedAtMs + Math.max(0, lifetimeMs);
  const margin = Math.min(RENEW_MARGIN_MAX_MS, Math.max(0, lifetimeMs) * RENEW_MARGIN_FRACTION);
  return { value, expiresAtMs, renewAtMs: expiresAtMs - margin };
}

export function isExpired(token: HeldToken, nowMs: number): boolean {
  return token.expiresAtMs !== undefined && nowMs >= token.expiresAtMs;
}

export function shouldRenew(token: HeldToken, nowMs: number): boolean {
  return token.renewAtMs !== undefined && nowMs >= token.renewAtMs;
}
