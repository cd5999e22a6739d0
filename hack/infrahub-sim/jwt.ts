import { createHmac, timingSafeEqual } from "node:crypto";

/** HS256 JWTs as PyJWT makes and checks them for Infrahub (`auth.py`). */

export type JwtClaims = Record<string, unknown> & { exp?: number; nbf?: number };

export type JwtCheck =
  | { ok: true; claims: JwtClaims; signature: string }
  | { ok: false; reason: "expired" | "invalid" };

const HEADER = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));

export function signJwt(claims: JwtClaims, secret: string): string {
  const body = `${HEADER}.${base64url(JSON.stringify(claims))}`;
  return `${body}.${hmac(body, secret)}`;
}

/**
 * Verifies like `jwt.decode(token, key, algorithms=["HS256"])`: the signature first (a bad one is
 * "invalid" even when also expired), then `exp` (expired when exp <= now) and `nbf`.
 */
export function verifyJwt(token: string, secret: string, nowSeconds: number): JwtCheck {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, reason: "invalid" };
  const [header, payload, signature] = parts;
  let claims: JwtClaims;
  try {
    const head = JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as { alg?: unknown };
    if (head.alg !== "HS256") return { ok: false, reason: "invalid" };
    const expected = Buffer.from(hmac(`${header}.${payload}`, secret));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given))
      return { ok: false, reason: "invalid" };
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as JwtClaims;
  } catch {
    return { ok: false, reason: "invalid" };
  }
  if (typeof claims !== "object" || claims === null) return { ok: false, reason: "invalid" };
  if (claims.exp !== undefined && (typeof claims.exp !== "number" || claims.exp <= nowSeconds)) {
    return typeof claims.exp === "number"
      ? { ok: false, reason: "expired" }
      : { ok: false, reason: "invalid" };
  }
  if (claims.nbf !== undefined && (typeof claims.nbf !== "number" || claims.nbf > nowSeconds)) {
    return { ok: false, reason: "invalid" };
  }
  return { ok: true, claims, signature };
}

function hmac(data: string, secret: string): string {
  return createHmac("sha256", secret).update(data).digest("base64url");
}

function base64url(text: string): string {
  return Buffer.from(text, "utf8").toString("base64url");
}
