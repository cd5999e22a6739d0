import { createHmac } from "node:crypto";
import { signJwt, verifyJwt } from "./jwt";

describe("HS256 JWTs", () => {
  const secret = "k";
  const now = 1_700_000_000;

  it("signs a standard compact JWT that verifies with the same key", () => {
    const token = signJwt({ sub: "u", exp: now + 10, nbf: now }, secret);
    const [header, payload, signature] = token.split(".");
    expect(JSON.parse(Buffer.from(header, "base64url").toString())).toEqual({
      alg: "HS256",
      typ: "JWT",
    });
    expect(createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url")).toBe(
      signature,
    );
    expect(verifyJwt(token, secret, now)).toEqual({
      ok: true,
      claims: { sub: "u", exp: now + 10, nbf: now },
      signature,
    });
  });

  it("calls a bad signature invalid even when the token is also expired", () => {
    const token = signJwt({ exp: now - 10 }, secret);
    expect(verifyJwt(token, "other-key", now)).toEqual({ ok: false, reason: "invalid" });
    expect(verifyJwt(token, secret, now)).toEqual({ ok: false, reason: "expired" });
  });

  it("expires at exp (exp <= now) and refuses tokens not yet valid", () => {
    expect(verifyJwt(signJwt({ exp: now }, secret), secret, now)).toEqual({
      ok: false,
      reason: "expired",
    });
    expect(verifyJwt(signJwt({ exp: now + 1 }, secret), secret, now).ok).toBe(true);
    expect(verifyJwt(signJwt({ nbf: now + 5 }, secret), secret, now)).toEqual({
      ok: false,
      reason: "invalid",
    });
  });

  it.each([
    "",
    "a.b",
    "a.b.c.d",
    "not.a.jwt",
    `${Buffer.from('{"alg":"none"}').toString("base64url")}.e30.`,
  ])("refuses malformed token %p", token => {
    expect(verifyJwt(token, secret, now)).toEqual({ ok: false, reason: "invalid" });
  });
});
