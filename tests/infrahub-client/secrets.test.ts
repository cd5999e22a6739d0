import type { InfrahubSimulator } from "../../hack/infrahub-sim";
import { InfrahubClient, type InfrahubConnection } from "../../capabilities/lib/infrahub";
import { recordingLogger } from "../../capabilities/lib/logger";
import {
  API_TOKEN,
  ARTIFACT_NAME,
  errorTexts,
  harness,
  PASSWORD,
  passwordConnection,
  rejectionOf,
  seedArtifacts,
  startSim,
  tokenConnection,
  type Harness,
} from "./helpers";

let sim: InfrahubSimulator;
let h: Harness;

beforeEach(async () => {
  sim = await startSim();
  seedArtifacts(sim, 2);
  h = harness({
    timeoutMs: 400,
    retry: { maxAttempts: 2 },
    breaker: { consecutiveFailures: 1000 },
  });
});

afterEach(async () => {
  h.registry.close();
  await sim.stop();
});

/** Every token that went over the wire (access and refresh JWTs, API keys). */
function tokensSeen(): string[] {
  const out = new Set<string>();
  for (const entry of sim.requestLog) {
    const bearer = entry.headers.authorization?.replace(/^Bearer\s+/i, "");
    if (bearer) out.add(bearer);
    if (entry.headers["x-infrahub-key"]) out.add(entry.headers["x-infrahub-key"]);
  }
  return [...out];
}

function expectNoSecrets(texts: string[], secrets: string[]): void {
  expect(secrets.length).toBeGreaterThan(0);
  for (const text of texts) {
    for (const secret of secrets) expect(text.includes(secret)).toBe(false);
  }
}

describe("secrets never appear in errors or logs", () => {
  it("across the password flows and failures, including a server that echoes them", async () => {
    const errors: unknown[] = [];
    const client = h.registry.get(passwordConnection(sim));
    const wrongPassword = "Wr0ng-password-also-secret";
    await client.findArtifacts({ branch: "main" });

    // Expired access token, then refresh rejected: refresh + re-login paths log.
    sim.expireAccessTokens();
    await client.findArtifacts({ branch: "main" });
    sim.expireAccessTokens();
    sim.expireRefreshTokens();
    await client.findArtifactsByStoredQuery({
      queryName: "ArtifactIDs",
      artifactName: ARTIFACT_NAME,
      branch: "main",
    });
    const jwts = tokensSeen();
    expect(jwts.filter(t => t.startsWith("eyJ")).length).toBeGreaterThanOrEqual(4);

    // A server echoing the password and a token in its error, as JSON and as a non-JSON body.
    const echo = `password ${PASSWORD} and token ${jwts[0]} were rejected`;
    sim.injectFault({
      endpoint: "POST /graphql",
      kind: "status",
      status: 400,
      body: JSON.stringify({ data: null, errors: [{ message: echo }] }),
      times: 1,
    });
    errors.push(await rejectionOf(client.findArtifacts({ branch: "main" })));
    sim.injectFault({
      endpoint: "POST /graphql",
      kind: "status",
      status: 200,
      body: `<html>${echo}</html>`,
      times: 2,
    });
    errors.push(await rejectionOf(client.findArtifacts({ branch: "main" })));
    sim.injectFault({
      endpoint: "POST /graphql",
      kind: "status",
      status: 200,
      body: JSON.stringify({ data: null, errors: [{ message: echo }] }),
      times: 1,
    });
    errors.push(await rejectionOf(client.findArtifacts({ branch: "main" })));
    sim.injectFault({
      endpoint: "GET /api/storage/object",
      kind: "status",
      status: 200,
      body: JSON.stringify({ data: null, errors: [{ message: echo }] }),
      times: 1,
    });
    const [artifact] = (await client.findArtifacts({ branch: "main" })).ready;
    errors.push(
      await rejectionOf(
        client.downloadArtifact({ ...artifact, checksum: null }, { branch: "main" }),
      ),
    );

    // Network-level failures.
    for (const kind of ["reset", "truncate", "hang"] as const) {
      sim.injectFault({ endpoint: "POST /graphql", kind, times: 2 });
      errors.push(await rejectionOf(client.findArtifacts({ branch: "main" })));
    }

    // Bad credentials.
    errors.push(
      await rejectionOf(
        h.registry.get(passwordConnection(sim, wrongPassword)).findArtifacts({ branch: "main" }),
      ),
    );
    sim.expireAccessTokens();
    sim.injectFault({ endpoint: "POST /api/auth/refresh", kind: "status", status: 500 });
    sim.injectFault({ endpoint: "POST /api/auth/login", kind: "status", status: 503 });
    errors.push(await rejectionOf(client.findArtifacts({ branch: "main" })));

    const secrets = [PASSWORD, wrongPassword, ...tokensSeen()];
    const texts = [...errors.map(errorTexts), ...h.records.map(r => JSON.stringify(r))];
    expect(errors).toHaveLength(9);
    expect(errors.some(e => errorTexts(e).includes("[redacted]"))).toBe(true);
    expectNoSecrets(texts, secrets);
  });

  it("for API tokens, valid and invalid", async () => {
    const invalid = "ffffffff-bad-token-0000-000000000000";
    const errors: unknown[] = [];
    const client = h.registry.get(tokenConnection(sim));
    await client.findArtifacts({ branch: "main" });
    errors.push(
      await rejectionOf(
        h.registry.get(tokenConnection(sim, invalid)).findArtifacts({ branch: "main" }),
      ),
    );
    sim.injectFault({
      endpoint: "POST /graphql",
      kind: "status",
      status: 403,
      body: JSON.stringify({ data: null, errors: [{ message: `key ${API_TOKEN} denied` }] }),
      times: 1,
    });
    errors.push(await rejectionOf(client.findArtifacts({ branch: "main" })));
    const texts = [...errors.map(errorTexts), ...h.records.map(r => JSON.stringify(r))];
    expectNoSecrets(texts, [API_TOKEN, invalid]);
    expect(errorTexts(errors[1])).toContain("key [redacted] denied");
  });

  it("for configuration errors about the connection itself", () => {
    const logger = recordingLogger();
    const texts: string[] = [];
    const bad: InfrahubConnection[] = [
      { url: "not a url with s3cret-in-it", auth: { kind: "token", token: "s3cret-in-it" } },
      { url: `https://user:${PASSWORD}@infrahub.test`, auth: { kind: "token", token: "" } },
      {
        url: "https://infrahub.test",
        auth: { kind: "token", token: API_TOKEN },
        tls: { caPem: `-----BEGIN CERTIFICATE-----\n${API_TOKEN}\n-----END CERTIFICATE-----` },
      },
    ];
    for (const conn of bad) {
      try {
        new InfrahubClient(conn, { logger });
        texts.push("constructed");
      } catch (err) {
        texts.push(errorTexts(err));
      }
    }
    expect(texts.every(t => t !== "constructed")).toBe(true);
    expectNoSecrets(
      [...texts, ...logger.records.map(r => JSON.stringify(r))],
      ["s3cret-in-it", PASSWORD, API_TOKEN],
    );
    const good = new InfrahubClient({
      url: `https://user:${PASSWORD}@infrahub.test/`,
      auth: { kind: "anonymous" },
    });
    expect(good.address).toBe("https://infrahub.test");
    good.close();
  });
});
