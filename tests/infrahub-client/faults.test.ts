import type { InfrahubSimulator, SimFault } from "../../hack/infrahub-sim";
import {
  InfrahubAuthError,
  InfrahubNotFoundError,
  InfrahubRequestError,
  InfrahubTransientError,
  TargetDateBeforeBranchError,
  type InfrahubClient,
} from "../../capabilities/lib/infrahub";
import {
  ARTIFACT_NAME,
  harness,
  passwordConnection,
  rejectionOf,
  seedArtifacts,
  startSim,
  type Harness,
} from "./helpers";

let sim: InfrahubSimulator;
let h: Harness;
let client: InfrahubClient;

beforeEach(async () => {
  sim = await startSim();
  seedArtifacts(sim, 3);
  h = harness({ timeoutMs: 1_500 });
  client = h.registry.get(passwordConnection(sim));
  // Log in first, so the counts below are about the request under test.
  await client.findArtifacts({ branch: "main" });
  sim.resetCounts();
});

afterEach(async () => {
  h.registry.close();
  await sim.stop();
});

const graphql = () => sim.requestCounts()["POST /graphql"] ?? 0;
const find = () => client.findArtifacts({ branch: "main", artifactNames: [ARTIFACT_NAME] });
type FaultSpec = SimFault extends infer F
  ? F extends SimFault
    ? Omit<F, "endpoint">
    : never
  : never;
const inject = (fault: FaultSpec, endpoint = "POST /graphql") =>
  sim.injectFault({ endpoint, ...fault } as SimFault);

describe("transient faults are retried", () => {
  it.each([500, 502, 503])("HTTP %d, twice, then success", async status => {
    inject({ kind: "status", status, times: 2 });
    expect((await find()).ready).toHaveLength(3);
    expect(graphql()).toBe(3);
    const statuses = h.observations
      .filter(o => o.endpoint === "POST /graphql")
      .slice(-3)
      .map(o => [o.status, o.attempt]);
    expect(statuses).toEqual([
      [status, 1],
      [status, 2],
      [200, 3],
    ]);
  });

  it("500, 502 and 503 in a row, then success on the fourth attempt", async () => {
    inject({ kind: "status", status: 500, times: 1 });
    inject({ kind: "status", status: 502, times: 1 });
    inject({ kind: "status", status: 503, times: 1 });
    expect((await find()).ready).toHaveLength(3);
    expect(graphql()).toBe(4);
  });

  it("429 waits for Retry-After (plus at most a tenth of it as jitter)", async () => {
    inject({ kind: "rateLimit", retryAfterSeconds: 1, times: 1 });
    expect((await find()).ready).toHaveLength(3);
    expect(graphql()).toBe(2);
    const retry = h.records.find(
      r => r.msg === "Retrying Infrahub request after a transient failure",
    );
    expect(retry?.fields.delayMs).toBeGreaterThanOrEqual(1_000);
    expect(retry?.fields.delayMs).toBeLessThanOrEqual(1_100);
  });

  it.each(["reset", "truncate", "garbage"] as const)("%s, then success", async kind => {
    inject({ kind, times: 1 });
    expect((await find()).ready).toHaveLength(3);
    expect(graphql()).toBe(2);
    expect(
      h.observations
        .filter(o => o.endpoint === "POST /graphql")
        .slice(-2)
        .map(o => o.attempt),
    ).toEqual([1, 2]);
  });

  it("a slow answer times out and the retry succeeds", async () => {
    inject({ kind: "latency", ms: 6_000, times: 1 });
    expect((await find()).ready).toHaveLength(3);
    expect(graphql()).toBe(2);
    expect(
      h.observations
        .filter(o => o.endpoint === "POST /graphql")
        .slice(-2)
        .map(o => o.status),
    ).toEqual(["network-error", 200]);
  });

  it("a hung request times out and the retry succeeds", async () => {
    inject({ kind: "hang", times: 1 });
    expect((await find()).ready).toHaveLength(3);
    expect(graphql()).toBe(2);
  });

  it("faults on login, stored queries and downloads are retried too", async () => {
    const fresh = harness();
    try {
      const other = fresh.registry.get(passwordConnection(sim));
      inject({ kind: "status", status: 503, times: 1 }, "POST /api/auth/login");
      inject({ kind: "reset", times: 1 }, "POST /api/query");
      const { ready } = await other.findArtifactsByStoredQuery({
        queryName: "ArtifactIDs",
        artifactName: ARTIFACT_NAME,
        branch: "main",
      });
      inject({ kind: "status", status: 502, times: 1 }, "GET /api/artifact");
      expect(await other.downloadArtifact(ready[0], { branch: "main" })).toContain(
        "kind: ConfigMap",
      );
      expect(sim.requestCounts()).toMatchObject({
        "POST /api/auth/login": 2,
        "POST /api/query": 2,
        "GET /api/artifact": 2,
      });
    } finally {
      fresh.registry.close();
    }
  });
});

describe("giving up", () => {
  it("after maxAttempts, with address, endpoint, status and Infrahub's message", async () => {
    inject({ kind: "status", status: 503 });
    const err = await rejectionOf(find());
    expect(err).toBeInstanceOf(InfrahubTransientError);
    expect(err.retryable).toBe(true);
    expect(graphql()).toBe(4);
    expect(err.message).toContain(sim.url);
    // The request is kept for logs, not put in the message (status and Events show it).
    expect(err.endpoint).toBe("POST /graphql/main");
    expect(err.message).not.toContain("/graphql");
    expect(err.message).toContain("HTTP 503");
    expect(err.message).toContain('"Service Unavailable"');
  });

  it("on repeated timeouts, naming the timeout", async () => {
    inject({ kind: "hang" });
    const quick = harness({ timeoutMs: 300, retry: { maxAttempts: 2 } });
    try {
      const err = await rejectionOf(
        quick.registry.get(passwordConnection(sim)).findArtifacts({ branch: "main" }),
      );
      expect(err).toBeInstanceOf(InfrahubTransientError);
      expect(err.message).toContain("did not answer within 300 ms");
    } finally {
      quick.registry.close();
    }
  });

  it("on a target date before the branch existed (422), saying so instead of blaming the API", async () => {
    const said =
      "Requested time '2020-01-01T00:00:00.000000Z' is before branch 'main' was created at '2026-12-04T18:06:23.150644Z'.";
    inject({
      kind: "status",
      status: 422,
      body: JSON.stringify({ data: null, errors: [{ message: said, extensions: { code: 422 } }] }),
    });
    const err = await rejectionOf(find());
    expect(err).toBeInstanceOf(TargetDateBeforeBranchError);
    expect(err.reason).toBe("TargetDateBeforeBranch");
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(
      'The target date 2020-01-01T00:00:00.000000Z is before branch "main" was created (2026-12-04T18:06:23.150644Z)',
    );
    expect(err.message).not.toMatch(/disagree on the API/);
    expect(graphql()).toBe(1);
  });

  it.each([
    [400, InfrahubRequestError],
    [401, InfrahubAuthError],
    [403, InfrahubAuthError],
    [404, InfrahubNotFoundError],
  ])("immediately on HTTP %d", async (status, type) => {
    inject({ kind: "status", status });
    const err = await rejectionOf(find());
    expect(err).toBeInstanceOf(type);
    expect(err.retryable).toBe(false);
    // A 401 is answered by one token renewal and one repeat, never by retries.
    expect(graphql()).toBe(status === 401 ? 2 : 1);
  });
});
