import type { InfrahubSimulator } from "../../hack/infrahub-sim";
import {
  InfrahubCircuitOpenError,
  InfrahubNotFoundError,
  InfrahubTransientError,
  type CircuitStateName,
} from "../../capabilities/lib/infrahub";
import {
  harness,
  passwordConnection,
  rejectionOf,
  seedArtifacts,
  startSim,
  tokenConnection,
  type Harness,
} from "./helpers";

let sim: InfrahubSimulator;
let h: Harness;
let changes: Array<{ address: string; state: CircuitStateName }>;

beforeEach(async () => {
  sim = await startSim();
  seedArtifacts(sim, 2);
  changes = [];
  h = harness({
    breaker: { consecutiveFailures: 5, halfOpenAfterMs: 400 },
    onCircuitStateChange: c => changes.push(c),
  });
});

afterEach(async () => {
  h.registry.close();
  await sim.stop();
});

const graphql = () => sim.requestCounts()["POST /graphql"] ?? 0;

describe("circuit breaker per Infrahub address", () => {
  it("opens after 5 consecutive transient failures and stops sending requests", async () => {
    // A half-open delay far longer than this test, so a slow machine cannot let a trial through.
    h.registry.close();
    h = harness({
      breaker: { consecutiveFailures: 5, halfOpenAfterMs: 60_000 },
      onCircuitStateChange: c => changes.push(c),
    });
    const client = h.registry.get(passwordConnection(sim));
    await client.findArtifacts({ branch: "main" });
    sim.resetCounts();
    sim.injectFault({ endpoint: "POST /graphql", kind: "status", status: 503 });

    // 4 attempts fail; the breaker has seen 4 of its 5.
    expect(await rejectionOf(client.findArtifacts({ branch: "main" }))).toBeInstanceOf(
      InfrahubTransientError,
    );
    expect(graphql()).toBe(4);
    // The 5th failure opens it; the retry that follows is refused without a request.
    const opened = await rejectionOf(client.findArtifacts({ branch: "main" }));
    expect(opened).toBeInstanceOf(InfrahubCircuitOpenError);
    expect(graphql()).toBe(5);
    expect(changes).toEqual([{ address: sim.url, state: "open" }]);

    for (let i = 0; i < 10; i++) {
      const err = await rejectionOf(client.findArtifacts({ branch: "main" }));
      expect(err).toBeInstanceOf(InfrahubCircuitOpenError);
      expect(err.retryable).toBe(true);
      expect(err.reason).toBe("CircuitOpen");
      expect(err.message).toContain(sim.url);
      expect(err.message).toMatch(/next try at \d{4}-\d\d-\d\dT[\d:.]+Z/);
      // What failed last, not only that requests are paused.
      expect(err.message).toContain(
        'last error: Infrahub failed with a server error (HTTP 503, Infrahub said "Service Unavailable")',
      );
    }
    expect(graphql()).toBe(5);
  });

  it("is shared by every identity using the address", async () => {
    const first = h.registry.get(passwordConnection(sim));
    const second = h.registry.get(tokenConnection(sim));
    expect(second).not.toBe(first);
    await first.findArtifacts({ branch: "main" });
    sim.injectFault({ endpoint: "POST /graphql", kind: "reset" });
    await rejectionOf(first.findArtifacts({ branch: "main" }));
    await rejectionOf(first.findArtifacts({ branch: "main" }));
    sim.resetCounts();
    expect(await rejectionOf(second.findArtifacts({ branch: "main" }))).toBeInstanceOf(
      InfrahubCircuitOpenError,
    );
    expect(sim.requestCounts()).toEqual({});
  });

  it("lets a trial request through after the open period and closes again on success", async () => {
    const client = h.registry.get(passwordConnection(sim));
    await client.findArtifacts({ branch: "main" });
    sim.injectFault({ endpoint: "POST /graphql", kind: "status", status: 502 });
    await rejectionOf(client.findArtifacts({ branch: "main" }));
    await rejectionOf(client.findArtifacts({ branch: "main" }));
    sim.clearFaults();
    await new Promise(resolve => setTimeout(resolve, 600));
    expect((await client.findArtifacts({ branch: "main" })).ready).toHaveLength(2);
    expect(changes.map(c => c.state)).toEqual(["open", "half-open", "closed"]);
  });

  it("is not opened by answers that are the caller's problem (4xx)", async () => {
    const client = h.registry.get(passwordConnection(sim));
    for (let i = 0; i < 8; i++) {
      expect(await rejectionOf(client.findArtifacts({ branch: "no-such-branch" }))).toBeInstanceOf(
        InfrahubNotFoundError,
      );
    }
    expect((await client.findArtifacts({ branch: "main" })).ready).toHaveLength(2);
    expect(changes).toEqual([]);
  });
});
