import { createHmac } from "node:crypto";
import { startInfrahubSimulator, type InfrahubSimulator } from "../../hack/infrahub-sim";
import { JWT_SECRET, baseSeed, decodeJwt, envelope, gql, http, postJson } from "./helpers";

// Contract: infrahub-api.md §1 (auth) and §0 (envelope), pinned status by status.
describe("Infrahub simulator authentication", () => {
  let sim: InfrahubSimulator;
  const login = (username = "admin", password = "infrahub") =>
    postJson(`${sim.url}/api/auth/login`, { username, password });
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  beforeAll(async () => {
    sim = await startInfrahubSimulator({ seed: baseSeed(), jwtSecret: JWT_SECRET });
    sim.addUser("retired", "old-password", { active: false });
  });
  afterAll(() => sim.stop());

  describe("POST /api/auth/login", () => {
    it("returns exactly access_token and refresh_token, HS256 JWTs with Infrahub's claims", async () => {
      const res = await login();
      expect(res.status).toBe(200);
      const body = res.json as Record<string, string>;
      expect(Object.keys(body).sort()).toEqual(["access_token", "refresh_token"]);
      const access = decodeJwt(body.access_token);
      const refresh = decodeJwt(body.refresh_token);
      expect(access.header.alg).toBe("HS256");
      // Exactly the claims of an infrahub-server 1.11.9 token (no user_claims any more).
      expect(Object.keys(access.claims).sort()).toEqual(
        ["exp", "fresh", "iat", "nbf", "session_id", "sub", "type"].sort(),
      );
      expect(access.claims).toMatchObject({ fresh: false, type: "access" });
      expect(Object.keys(refresh.claims).sort()).toEqual(Object.keys(access.claims).sort());
      expect(refresh.claims).toMatchObject({ fresh: false, type: "refresh" });
      expect(access.claims.session_id).toBe(refresh.claims.session_id);
      expect(access.claims.sub).toBe(refresh.claims.sub);
      const a = access.claims as Record<string, number>;
      expect(a.exp - a.iat).toBe(3600);
      expect(a.nbf).toBe(a.iat);
      const r = refresh.claims as Record<string, number>;
      expect(r.exp - r.iat).toBe(2_592_000);
      // The signature is HMAC-SHA256 over header.payload with the configured secret.
      const [h, p, s] = body.access_token.split(".");
      expect(createHmac("sha256", JWT_SECRET).update(`${h}.${p}`).digest("base64url")).toBe(s);
    });

    it("sets httponly cookies for both tokens with their lifetimes", async () => {
      const res = await login();
      const cookies = res.headers.getSetCookie();
      expect(cookies).toHaveLength(2);
      expect(cookies[0]).toMatch(/^access_token=[^;]+; HttpOnly; Max-Age=3600; Path=\//);
      expect(cookies[1]).toMatch(/^refresh_token=[^;]+; HttpOnly; Max-Age=2592000; Path=\//);
    });

    it("answers an unknown user with a 404 envelope", async () => {
      const res = await login("nobody", "x");
      expect(res.status).toBe(404);
      expect(res.json).toEqual(envelope(404, "That login user doesn't exist in the system"));
    });

    it("answers a wrong password with 401 and never echoes the password", async () => {
      const res = await login("admin", "s3cret-wrong-pass");
      expect(res.status).toBe(401);
      expect(res.json).toEqual(envelope(401, "Incorrect password"));
      expect(res.text).not.toContain("s3cret-wrong-pass");
    });

    it("refuses an inactive account with 401", async () => {
      const res = await login("retired", "old-password");
      expect(res.status).toBe(401);
      expect(res.json).toEqual(envelope(401, "This account is not allowed to login"));
    });

    it("answers body validation failures with FastAPI's own 422 detail shape", async () => {
      const missing = await postJson(`${sim.url}/api/auth/login`, { username: "admin" });
      expect(missing.status).toBe(422);
      expect(missing.json).toEqual({
        detail: [
          {
            type: "missing",
            loc: ["body", "password"],
            msg: "Field required",
            input: { username: "admin" },
          },
        ],
      });
      const wrongType = await postJson(`${sim.url}/api/auth/login`, {
        username: "admin",
        password: 5,
      });
      expect((wrongType.json as { detail: Array<{ type: string }> }).detail[0].type).toBe(
        "string_type",
      );
      const notJson = await http(`${sim.url}/api/auth/login`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: "{nope",
      });
      expect(notJson.status).toBe(422);
      expect(
        (notJson.json as { detail: Array<{ type: string; msg: string }> }).detail[0],
      ).toMatchObject({ type: "json_invalid", msg: "JSON decode error" });
      const empty = await http(`${sim.url}/api/auth/login`, { method: "POST" });
      expect(empty.status).toBe(422);
      expect(empty.json).toEqual({
        detail: [{ type: "missing", loc: ["body"], msg: "Field required", input: null }],
      });
    });
  });

  describe("POST /api/auth/refresh", () => {
    const refresh = (headers: Record<string, string>) =>
      http(`${sim.url}/api/auth/refresh`, { method: "POST", headers });

    it("returns only a new access_token for the refresh token, and sets its cookie", async () => {
      const tokens = (await login()).json as Record<string, string>;
      const res = await refresh(bearer(tokens.refresh_token));
      expect(res.status).toBe(200);
      const body = res.json as Record<string, string>;
      expect(Object.keys(body)).toEqual(["access_token"]);
      expect(decodeJwt(body.access_token).claims).toMatchObject({
        type: "access",
        session_id: decodeJwt(tokens.refresh_token).claims.session_id,
      });
      expect(res.headers.getSetCookie()[0]).toMatch(/^access_token=/);
      // The new access token works.
      expect(
        (await gql(sim, "{ InfrahubInfo { version } }", { headers: bearer(body.access_token) }))
          .status,
      ).toBe(200);
    });

    it("accepts the refresh_token cookie when there is no Authorization header", async () => {
      const tokens = (await login()).json as Record<string, string>;
      const res = await refresh({ Cookie: `refresh_token=${tokens.refresh_token}` });
      expect(res.status).toBe(200);
    });

    it("pins every 401 of §1.3", async () => {
      const tokens = (await login()).json as Record<string, string>;
      const none = await refresh({});
      expect(none.json).toEqual(
        envelope(401, "A JWT refresh token is required to perform this operation."),
      );
      const forged = tokens.refresh_token.slice(0, -4) + "AAAA";
      const invalid = await refresh(bearer(forged));
      expect(invalid.json).toEqual(envelope(401, "Invalid token"));
      expect(invalid.text).not.toContain(forged);
      const accessSent = await refresh(bearer(tokens.access_token));
      expect(accessSent.json).toEqual(
        envelope(401, "Invalid token, current token is not a refresh token"),
      );
      for (const res of [none, invalid, accessSent]) expect(res.status).toBe(401);
    });

    it("fails with Expired Signature once refresh tokens are expired, while new logins work", async () => {
      const old = (await login()).json as Record<string, string>;
      sim.expireRefreshTokens();
      const res = await refresh(bearer(old.refresh_token));
      expect(res.status).toBe(401);
      expect(res.json).toEqual(envelope(401, "Expired Signature"));
      const fresh = (await login()).json as Record<string, string>;
      expect((await refresh(bearer(fresh.refresh_token))).status).toBe(200);
    });

    it("rejects the refresh token of a logged-out session", async () => {
      const tokens = (await login()).json as Record<string, string>;
      const out = await http(`${sim.url}/api/auth/logout`, {
        method: "POST",
        headers: bearer(tokens.access_token),
      });
      expect(out.status).toBe(200);
      expect(out.json).toBeNull();
      expect(out.headers.getSetCookie().every(c => c.includes("Max-Age=0"))).toBe(true);
      const res = await refresh(bearer(tokens.refresh_token));
      expect(res.status).toBe(401);
      expect(res.json).toEqual(
        envelope(401, "The provided refresh token has been invalidated in the database"),
      );
    });

    it("refuses to refresh for a deactivated account", async () => {
      sim.addUser("leaver", "pw");
      const tokens = (await login("leaver", "pw")).json as Record<string, string>;
      sim.addUser("leaver", "pw", { active: false });
      const res = await refresh(bearer(tokens.refresh_token));
      expect(res.status).toBe(401);
      expect(res.json).toEqual(envelope(401, "This account has been deactivated"));
    });
  });

  it("logout without an access token is a 401", async () => {
    const res = await http(`${sim.url}/api/auth/logout`, { method: "POST" });
    expect(res.status).toBe(401);
    expect(res.json).toEqual(
      envelope(401, "A JWT access token is required to perform this operation."),
    );
  });
});
