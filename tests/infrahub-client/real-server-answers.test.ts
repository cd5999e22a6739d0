import type { InfrahubSimulator } from "../../hack/infrahub-sim";
import {
  InfrahubBusyError,
  InfrahubCircuitOpenError,
  TargetDateBeforeBranchError,
  type CircuitStateName,
} from "../../capabilities/lib/infrahub";
import {
  ARTIFACT_NAME,
  harness,
  passwordConnection,
  rejectionOf,
  seedArtifacts,
  startSim,
  tokenConnection,
  type Harness,
} from "./helpers";

/**
 * How the client handles answers that infrahub-server 1.11.9 gives and the pre-calibration
 * simulator did not (tests/contract): the simulator now answers them the same way.
 */
let sim: InfrahubSimulator;
let h: Harness;
let changes: CircuitStateName[];

beforeEach(async () => {
  sim = await startSim();
  seedArtifacts(sim, 3);
  changes = [];
});

afterEach(async () => {
  h.registry.close();
  await sim.stop();
});

describe("a target date before the branch existed (HTTP 422)", () => {
  const early = new Date("2020-01-01T00:00:00Z");

  it.each(["GraphQL", "stored query"])(
    "is reported as TargetDateBeforeBranch naming the date and the branch, once (%s)",
    async mode => {
      h = harness();
      const client = h.registry.get(tokenConnection(sim));
      sim.createBranch("feature-x");
      const err = await rejectionOf(
        mode === "GraphQL"
          ? client.findArtifacts({ branch: "feature-x", at: early, artifactNames: [ARTIFACT_NAME] })
          : client.findArtifactsByStoredQuery({
              queryName: "ArtifactIDs",
              artifactName: ARTIFACT_NAME,
              branch: "feature-x",
              at: early,
            }),
      );
      expect(err).toBeInstanceOf(TargetDateBeforeBranchError);
      expect(err).toMatchObject({
        reason: "TargetDateBeforeBranch",
        retryable: false,
        requestedTime: "2020-01-01T00:00:00.000000Z",
        // The limit of a branch other than main is its origin's creation.
        branch: "main",
      });
      expect(err.message).toMatch(
        /^The target date 2020-01-01T00:00:00\.000000Z is before branch "main" was created \(\d{4}-/,
      );
      expect(err.message).not.toContain("disagree on the API");
      const endpoint = mode === "GraphQL" ? "POST /graphql" : "POST /api/query";
      expect(sim.requestCounts()[endpoint]).toBe(1);
    },
  );

  it("is reported the same way by a download at that date", async () => {
    h = harness();
    const client = h.registry.get(tokenConnection(sim));
    const [artifact] = (
      await client.findArtifacts({ branch: "main", artifactNames: [ARTIFACT_NAME] })
    ).ready;
    const err = await rejectionOf(
      client.downloadArtifact({ ...artifact, storageId: null }, { branch: "main", at: early }),
    );
    expect(err).toBeInstanceOf(TargetDateBeforeBranchError);
    expect(sim.requestCounts()["GET /api/artifact"]).toBe(1);
  });
});

describe("a server that sheds load (429, Retry-After, X-Infrahub-Admission: shed)", () => {
  it("makes concurrent calls wait as asked instead of opening the breaker", async () => {
    h = harness({
      retry: { maxAttempts: 4, maxRetryAfterMs: 5_000 },
      breaker: { consecutiveFailures: 3, halfOpenAfterMs: 60_000 },
      onCircuitStateChange: c => changes.push(c.state),
    });
    const client = h.registry.get(tokenConnection(sim));
    // Six sheds in a row, twice the breaker's threshold, spread over four concurrent calls.
    sim.injectFault({
      endpoint: "POST /graphql",
      kind: "rateLimit",
      retryAfterSeconds: 1,
      times: 6,
    });
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        client.findArtifacts({ branch: "main", artifactNames: [ARTIFACT_NAME] }),
      ),
    );
    for (const r of results) expect(r.ready).toHaveLength(3);
    expect(changes).toEqual([]);
    const shed = sim.requestLog.filter(e => e.endpoint === "POST /graphql" && e.status === 429);
    expect(shed).toHaveLength(6);
    const waits = h.records
      .filter(r => r.msg === "Retrying Infrahub request after a transient failure")
      .map(r => r.fields.delayMs as number);
    expect(waits).toHaveLength(6);
    for (const ms of waits) expect(ms).toBeGreaterThanOrEqual(1_000);
  });

  it("ends a call that is shed on every attempt with InfrahubBusy and the delay asked for, breaker closed", async () => {
    h = harness({
      retry: { maxAttempts: 2, maxRetryAfterMs: 5_000 },
      breaker: { consecutiveFailures: 1, halfOpenAfterMs: 60_000 },
      onCircuitStateChange: c => changes.push(c.state),
    });
    const client = h.registry.get(passwordConnection(sim));
    await client.findArtifacts({ branch: "main" }); // logs in first
    sim.injectFault({ endpoint: "POST /graphql", kind: "rateLimit", retryAfterSeconds: 1 });
    const err = await rejectionOf(client.findArtifacts({ branch: "main" }));
    expect(err).toBeInstanceOf(InfrahubBusyError);
    expect(err).toMatchObject({
      reason: "InfrahubBusy",
      retryable: true,
      shed: true,
      retryAfterMs: 1_000,
    });
    expect(err).not.toBeInstanceOf(InfrahubCircuitOpenError);
    expect(changes).toEqual([]);
    sim.clearFaults();
    expect((await client.findArtifacts({ branch: "main" })).ready).toHaveLength(3);
  });
});

describe("GraphQL errors with the error catalogue's string codes", () => {
  it("renews an access token refused with TOKEN_EXPIRED and repeats the request once", async () => {
    h = harness();
    const client = h.registry.get(passwordConnection(sim));
    await client.findArtifacts({ branch: "main" });
    sim.expireAccessTokens();
    sim.resetCounts();
    expect((await client.findArtifacts({ branch: "main" })).ready).toHaveLength(3);
    expect(sim.requestCounts()).toEqual({ "POST /graphql": 2, "POST /api/auth/refresh": 1 });
  });

  it("logs in again after AUTHENTICATION_REQUIRED (Infrahub restarted with another signing key)", async () => {
    h = harness();
    const client = h.registry.get(passwordConnection(sim));
    await client.findArtifacts({ branch: "main" });
    const port = Number(new URL(sim.url).port);
    await sim.stop();
    sim = await startSim({ port, jwtSecret: "another-key-after-the-restart" });
    seedArtifacts(sim, 3);
    expect((await client.findArtifacts({ branch: "main" })).ready).toHaveLength(3);
    const graphql = sim.requestLog.filter(e => e.endpoint === "POST /graphql").map(e => e.status);
    expect(graphql).toEqual([401, 200]);
    expect(sim.requestCounts()["POST /api/auth/login"]).toBe(1);
  });
});
