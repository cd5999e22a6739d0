import { startInfrahubSimulator, type InfrahubSimulator } from "../../hack/infrahub-sim";
import { JWT_SECRET, KEY, baseSeed, envelope, gql, gqlEnvelope, http, postJson } from "./helpers";

// Contract: infrahub-api.md §1 (auth) and §0 (envelope), pinned status by status.
describe("Infrahub simulator credentials and anonymous access", () => {
  let sim: InfrahubSimulator;
  const login = (username = "admin", password = "infrahub") =>
    postJson(`${sim.url}/api/auth/login`, { username, password });
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const storageUrl = () =>
    `${sim.url}/api/storage/object/${sim.listArtifacts("main")[0].storageId}`;

  beforeAll(async () => {
    sim = await startInfrahubSimulator({ seed: baseSeed(), jwtSecret: JWT_SECRET });
    sim.addUser("retired", "old-password", { active: false });
  });
  afterAll(() => sim.stop());

  describe("credentials on other requests", () => {
    it("lets the API key win over a bad Bearer token", async () => {
      const res = await http(storageUrl(), {
        headers: { ...KEY, Authorization: "Bearer not-a-jwt" },
      });
      expect(res.status).toBe(200);
    });

    it("answers an unknown API key with 401 Invalid token even when anonymous access is allowed", async () => {
      sim.setAllowAnonymous(true);
      try {
        const res = await http(storageUrl(), { headers: { "X-INFRAHUB-KEY": "wrong-key-123" } });
        expect(res.status).toBe(401);
        expect(res.json).toEqual(envelope(401, "Invalid token"));
        expect(res.text).not.toContain("wrong-key-123");
        const graph = await gql(sim, "{ InfrahubInfo { version } }", {
          headers: { "X-INFRAHUB-KEY": "wrong-key-123" },
        });
        expect(graph.status).toBe(401);
      } finally {
        sim.setAllowAnonymous(false);
      }
    });

    it("answers expired access tokens with Expired Signature until the client refreshes", async () => {
      const tokens = (await login()).json as Record<string, string>;
      expect((await http(storageUrl(), { headers: bearer(tokens.access_token) })).status).toBe(200);
      sim.expireAccessTokens();
      const expired = await http(storageUrl(), { headers: bearer(tokens.access_token) });
      expect(expired.status).toBe(401);
      expect(expired.json).toEqual(envelope(401, "Expired Signature"));
      const graph = await gql(sim, "{ InfrahubInfo { version } }", {
        headers: bearer(tokens.access_token),
      });
      expect(graph.json).toEqual(gqlEnvelope(401, "Expired Signature"));
      // Same second, same session: the refreshed token must still differ from the expired one.
      const renewed = (
        await http(`${sim.url}/api/auth/refresh`, {
          method: "POST",
          headers: bearer(tokens.refresh_token),
        })
      ).json as Record<string, string>;
      expect(renewed.access_token).not.toBe(tokens.access_token);
      expect((await http(storageUrl(), { headers: bearer(renewed.access_token) })).status).toBe(
        200,
      );
    });

    it("expires access tokens by their lifetime too", async () => {
      const shortLived = await startInfrahubSimulator({
        seed: baseSeed(),
        accessTokenLifetimeSeconds: 0,
      });
      try {
        const tokens = (
          await postJson(`${shortLived.url}/api/auth/login`, {
            username: "admin",
            password: "infrahub",
          })
        ).json as Record<string, string>;
        const res = await gql(shortLived, "{ InfrahubInfo { version } }", {
          headers: bearer(tokens.access_token),
        });
        expect(res.status).toBe(401);
        expect(res.json).toEqual(gqlEnvelope(401, "Expired Signature"));
      } finally {
        await shortLived.stop();
      }
    });

    it("rejects a refresh token used as an access token with 401, naming the token type", async () => {
      const tokens = (await login()).json as Record<string, string>;
      const res = await http(storageUrl(), { headers: bearer(tokens.refresh_token) });
      expect(res.status).toBe(401);
      expect(res.json).toEqual(
        envelope(401, "Invalid token, current token is not an access token"),
      );
    });

    it("reads the Bearer scheme case-insensitively and accepts the access_token cookie", async () => {
      const tokens = (await login()).json as Record<string, string>;
      expect(
        (await http(storageUrl(), { headers: { Authorization: `bearer ${tokens.access_token}` } }))
          .status,
      ).toBe(200);
      expect(
        (await http(storageUrl(), { headers: { Cookie: `access_token=${tokens.access_token}` } }))
          .status,
      ).toBe(200);
    });

    it("treats a non-Bearer Authorization header as anonymous", async () => {
      const res = await http(storageUrl(), {
        headers: { Authorization: `Basic ${Buffer.from("admin:infrahub").toString("base64")}` },
      });
      expect(res.status).toBe(401);
      expect(res.json).toEqual(envelope(401, "Authentication is required"));
    });
  });

  describe("anonymous access", () => {
    afterEach(() => sim.setAllowAnonymous(false));

    it("allows anonymous REST GET only when anonymous access is on", async () => {
      expect((await http(storageUrl())).json).toEqual(envelope(401, "Authentication is required"));
      sim.setAllowAnonymous(true);
      expect((await http(storageUrl())).status).toBe(200);
    });

    it("never allows an anonymous REST POST", async () => {
      sim.setAllowAnonymous(true);
      const res = await postJson(`${sim.url}/api/query/ArtifactIDs`, { variables: {} });
      expect(res.status).toBe(401);
      expect(res.json).toEqual(envelope(401, "Authentication is required"));
    });

    it("allows anonymous GraphQL queries only when anonymous access is on", async () => {
      const denied = await gql(sim, "{ InfrahubInfo { version } }", { headers: {} });
      expect(denied.status).toBe(401);
      expect(denied.json).toEqual(
        gqlEnvelope(401, "Authentication is required to perform this operation"),
      );
      sim.setAllowAnonymous(true);
      const allowed = await gql(sim, "{ InfrahubInfo { version } }", { headers: {} });
      expect(allowed.status).toBe(200);
    });
  });

  // infrahub-server 1.11.9 puts /api/info behind get_current_user (contract misc/info*).
  it("serves GET /api/info like any REST GET: anonymous only when allowed, never with a bad credential", async () => {
    sim.setAllowAnonymous(false);
    const denied = await http(`${sim.url}/api/info`);
    expect(denied.status).toBe(401);
    expect(denied.json).toEqual(envelope(401, "Authentication is required"));
    const bad = await http(`${sim.url}/api/info`, { headers: { "X-INFRAHUB-KEY": "garbage" } });
    expect(bad.json).toEqual(envelope(401, "Invalid token"));
    const res = await http(`${sim.url}/api/info`, { headers: KEY });
    expect(res.status).toBe(200);
    const body = res.json as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(["deployment_id", "version"]);
    expect(body.version).toBe("1.11.9-sim");
    expect(body.deployment_id).toMatch(/^[0-9a-f-]{36}$/);
    sim.setAllowAnonymous(true);
    expect((await http(`${sim.url}/api/info`)).status).toBe(200);
  });
});
