import type { InfrahubSimulator } from "../../hack/infrahub-sim";
import { InfrahubAuthError, type Clock } from "../../capabilities/lib/infrahub";
import {
  API_TOKEN,
  ARTIFACT_NAME,
  anonymousConnection,
  harness,
  PASSWORD,
  passwordConnection,
  rejectionOf,
  seedArtifacts,
  startSim,
  tokenConnection,
  USER,
  type Harness,
} from "./helpers";

let sim: InfrahubSimulator;
let h: Harness;

beforeEach(async () => {
  sim = await startSim();
  seedArtifacts(sim, 3);
  h = harness();
});

afterEach(async () => {
  h.registry.close();
  await sim.stop();
});

const logins = () => sim.requestCounts()["POST /api/auth/login"] ?? 0;
const refreshes = () => sim.requestCounts()["POST /api/auth/refresh"] ?? 0;
const find = (conn = passwordConnection(sim)) =>
  h.registry.get(conn).findArtifacts({ branch: "main", artifactNames: [ARTIFACT_NAME] });

describe("password authentication", () => {
  it("logs in once for many concurrent finds and for later ones, across syncs sharing the identity", async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => find()));
    expect(results.every(r => r.ready.length === 3)).toBe(true);
    for (let i = 0; i < 5; i++) await find();
    // Another sync builds its own connection object with the same identity.
    const other = h.registry.get({
      url: `${sim.url}/`,
      auth: { kind: "password", username: USER, password: PASSWORD },
    });
    await other.findArtifactsByStoredQuery({
      queryName: "ArtifactIDs",
      artifactName: ARTIFACT_NAME,
      branch: "main",
    });
    expect(logins()).toBe(1);
    expect(h.registry.size).toBe(1);
    const bearer = sim.requestLog
      .filter(e => e.endpoint === "POST /graphql")
      .map(e => e.headers.authorization);
    expect(bearer.every(b => b?.startsWith("Bearer "))).toBe(true);
  });

  it("refreshes after a 401 Expired Signature and repeats the request once", async () => {
    await find();
    sim.expireAccessTokens();
    sim.resetCounts();
    expect((await find()).ready).toHaveLength(3);
    expect(sim.requestCounts()).toEqual({ "POST /graphql": 2, "POST /api/auth/refresh": 1 });
    expect(
      sim.requestLog
        .filter(e => e.endpoint === "POST /graphql")
        .map(e => e.status)
        .slice(-2),
    ).toEqual([401, 200]);
  });

  it("logs in again when the refresh token is rejected too", async () => {
    await find();
    sim.expireAccessTokens();
    sim.expireRefreshTokens();
    sim.resetCounts();
    expect((await find()).ready).toHaveLength(3);
    expect(refreshes()).toBe(1);
    expect(logins()).toBe(1);
    expect(sim.requestCounts()["POST /graphql"]).toBe(2);
  });

  it("refreshes proactively before the token expires, without a 401", async () => {
    const clock = {
      ms: Date.now(),
      now(): number {
        return this.ms;
      },
    } satisfies Clock & { ms: number };
    const proactive = harness({ clock });
    try {
      const conn = passwordConnection(sim);
      await proactive.registry.get(conn).findArtifacts({ branch: "main" });
      clock.ms += 3_600_000 - 30_000; // 30 s before the 1 h expiry: inside the renewal window
      await proactive.registry.get(conn).findArtifacts({ branch: "main" });
      expect(logins()).toBe(1);
      expect(refreshes()).toBe(1);
      expect(sim.requestLog.every(e => e.status !== 401)).toBe(true);
    } finally {
      proactive.registry.close();
    }
  });

  it("recovers from the expiredToken fault with one refresh", async () => {
    await find();
    sim.injectFault({ endpoint: "POST /graphql", kind: "expiredToken", times: 1 });
    expect((await find()).ready).toHaveLength(3);
    expect(refreshes()).toBe(1);
  });

  it("fails without retrying on a wrong password", async () => {
    const err = await rejectionOf(find(passwordConnection(sim, "wrong-password")));
    expect(err).toBeInstanceOf(InfrahubAuthError);
    expect(err.reason).toBe("AuthenticationFailed");
    expect(err.retryable).toBe(false);
    expect(err.message).toContain("Incorrect password");
    expect(err.endpoint).toBe("POST /api/auth/login");
    expect(err.message).toContain("HTTP 401");
    expect(err.message).toContain(sim.url);
    expect(logins()).toBe(1);
    expect(sim.requestCounts()["POST /graphql"]).toBeUndefined();
  });

  it("does not log in again with refused credentials: every later find, of any sync, fails without a request", async () => {
    const first = await rejectionOf(find(passwordConnection(sim, "wrong-password")));
    expect(first).toMatchObject({ reason: "AuthenticationFailed", remembered: false });
    for (let i = 0; i < 10; i++) {
      const again = await rejectionOf(find(passwordConnection(sim, "wrong-password")));
      expect(again).toMatchObject({ reason: "AuthenticationFailed", remembered: true });
      expect(again.message).toContain("Incorrect password");
    }
    expect(logins()).toBe(1);
    // Other credentials (the Secret changed) are another identity: tried at once.
    await rejectionOf(find(passwordConnection(sim, "another-wrong-password")));
    expect(logins()).toBe(2);
    expect((await find()).ready).toHaveLength(3);
    expect(logins()).toBe(3);
  });

  it("does not send an API token Infrahub refused again", async () => {
    const bad = { url: sim.url, auth: { kind: "token" as const, token: "not-a-token-5b1f" } };
    await rejectionOf(find(bad));
    const sent = sim.requestCounts()["POST /graphql"];
    expect(sent).toBe(1);
    const again = await rejectionOf(find(bad));
    expect(again).toMatchObject({ reason: "AuthenticationFailed", remembered: true });
    expect(sim.requestCounts()["POST /graphql"]).toBe(sent);
  });

  it("treats an unknown user (Infrahub's 404) as bad credentials", async () => {
    const err = await rejectionOf(find(passwordConnection(sim, "x-password", "nobody")));
    expect(err).toBeInstanceOf(InfrahubAuthError);
    expect(err.message).toContain("HTTP 404");
    expect(logins()).toBe(1);
  });

  it("rejects an inactive account", async () => {
    sim.addUser("retired", "retired-password", { active: false });
    const err = await rejectionOf(find(passwordConnection(sim, "retired-password", "retired")));
    expect(err).toBeInstanceOf(InfrahubAuthError);
    expect(logins()).toBe(1);
  });
});

describe("API token authentication", () => {
  it("sends X-INFRAHUB-KEY and never logs in", async () => {
    expect((await find(tokenConnection(sim))).ready).toHaveLength(3);
    const result = await h.registry.get(tokenConnection(sim)).findArtifactsByStoredQuery({
      queryName: "ArtifactIDs",
      artifactName: ARTIFACT_NAME,
      branch: "main",
    });
    expect(result.ready).toHaveLength(3);
    expect(logins()).toBe(0);
    expect(sim.requestLog.every(e => e.headers["x-infrahub-key"] === API_TOKEN)).toBe(true);
  });

  it("fails without retrying on an unknown token", async () => {
    const err = await rejectionOf(find(tokenConnection(sim, "not-a-real-token")));
    expect(err).toBeInstanceOf(InfrahubAuthError);
    expect(err.message).toContain("API token");
    expect(sim.requestCounts()["POST /graphql"]).toBe(1);
  });
});

describe("anonymous access", () => {
  it("works for GraphQL reads and downloads when Infrahub allows it", async () => {
    sim.setAllowAnonymous(true);
    const client = h.registry.get(anonymousConnection(sim));
    const { ready } = await client.findArtifacts({ branch: "main" });
    expect(ready).toHaveLength(3);
    expect(await client.downloadArtifact(ready[0], { branch: "main" })).toContain(
      "kind: ConfigMap",
    );
    expect(
      sim.requestLog.every(
        e => e.headers.authorization === undefined && e.headers["x-infrahub-key"] === undefined,
      ),
    ).toBe(true);
  });

  it("cannot run stored queries (REST POST needs credentials)", async () => {
    sim.setAllowAnonymous(true);
    const err = await rejectionOf(
      h.registry.get(anonymousConnection(sim)).findArtifactsByStoredQuery({
        queryName: "ArtifactIDs",
        artifactName: ARTIFACT_NAME,
        branch: "main",
      }),
    );
    expect(err).toBeInstanceOf(InfrahubAuthError);
    expect(err.message).toContain("anonymous");
  });

  it("is refused, without retries, when Infrahub does not allow it", async () => {
    const err = await rejectionOf(find(anonymousConnection(sim)));
    expect(err).toBeInstanceOf(InfrahubAuthError);
    expect(err.message).toContain("Authentication is required");
    expect(sim.requestCounts()["POST /graphql"]).toBe(1);
  });
});
