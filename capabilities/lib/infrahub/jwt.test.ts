import { decodeTokenTimes, holdToken, isExpired, shouldRenew } from "./jwt";

function jwt(payload: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "HS256", typ: "JWT" })}.${part(payload)}.c2lnbmF0dXJl`;
}

describe("decodeTokenTimes", () => {
  it("reads iat and exp without checking the signature", () => {
    expect(decodeTokenTimes(jwt({ sub: "x", iat: 1000, exp: 4600 }))).toEqual({
      issuedAt: 1000,
      expiresAt: 4600,
    });
  });

  it.each([
    "",
    "opaque-api-token",
    "a.b",
    "a.%%%.c",
    `x.${Buffer.from("[1]").toString("base64url")}.y`,
  ])("gives nothing for %j", token => {
    expect(decodeTokenTimes(token)).toEqual({});
  });

  it("ignores non-numeric claims", () => {
    expect(decodeTokenTimes(jwt({ iat: "1000", exp: null }))).toEqual({
      issuedAt: undefined,
      expiresAt: undefined,
    });
  });
});

describe("holdToken: refresh timing", () => {
  it("renews 60 s before expiry for a one-hour token", () => {
    const received = 5_000_000;
    const held = holdToken(jwt({ iat: 100, exp: 3700 }), received);
    expect(held.expiresAtMs).toBe(received + 3_600_000);
    expect(held.renewAtMs).toBe(received + 3_540_000);
    expect(shouldRenew(held, received + 3_539_999)).toBe(false);
    expect(shouldRenew(held, received + 3_540_000)).toBe(true);
    expect(isExpired(held, received + 3_599_999)).toBe(false);
    expect(isExpired(held, received + 3_600_000)).toBe(true);
  });

  it("renews when 10 % of a short lifetime is left", () => {
    const held = holdToken(jwt({ iat: 0, exp: 20 }), 0);
    expect(held.renewAtMs).toBe(18_000);
  });

  it("uses the local receive time, so a skewed server clock does not matter", () => {
    // The server's clock is a day ahead of ours.
    const serverIat = Date.parse("2025-01-02T00:00:00Z") / 1000;
    const received = Date.parse("2025-01-01T00:00:00Z");
    const held = holdToken(jwt({ iat: serverIat, exp: serverIat + 3600 }), received);
    expect(held.expiresAtMs).toBe(received + 3_600_000);
  });

  it("falls back to exp on our clock when there is no iat", () => {
    const held = holdToken(jwt({ exp: 1_000 }), 400_000);
    expect(held.expiresAtMs).toBe(1_000_000);
    expect(held.renewAtMs).toBe(1_000_000 - 60_000);
  });

  it("never renews proactively a token without exp", () => {
    const held = holdToken("opaque", 0);
    expect(shouldRenew(held, Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(isExpired(held, Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});
