import http from "node:http";
import type { AddressInfo } from "node:net";
import { recordingLogger } from "../logger";
import { AddressBreaker } from "./circuit-breaker";
import {
  InfrahubAuthError,
  InfrahubCircuitOpenError,
  InfrahubNotFoundError,
  InfrahubRequestError,
  InfrahubTransientError,
} from "./errors";
import { createAgent } from "./http-transport";
import { resolveOptions } from "./options";
import { InfrahubRequester, type RequestSpec } from "./requester";
import type { InfrahubRequestObservation } from "./types";

/** Each request takes the next scripted answer; the last one repeats. */
let script: Array<(res: http.ServerResponse) => void> = [];
let hits = 0;
/** Paths of the requests, in order. */
let paths: string[] = [];
let server: http.Server;
let address: string;
let agent: http.Agent;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      paths.push(req.url ?? "");
      script[Math.min(hits++, script.length - 1)](res);
    });
  });
  await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
  address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  agent = createAgent(address);
});

afterAll(async () => {
  agent.destroy();
  server.closeAllConnections();
  await new Promise(resolve => server.close(resolve));
});

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  (res: http.ServerResponse) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
const envelope = (status: number, message: string, headers: Record<string, string> = {}) =>
  json(status, { data: null, errors: [{ message, extensions: { code: status } }] }, headers);

const SPEC: Omit<RequestSpec, "expect"> = {
  method: "POST",
  path: "/graphql/main",
  body: { query: "{ x }" },
  endpoint: "POST /graphql",
  purpose: "api",
  subject: "thing",
  notFoundHint: "hint",
};

/** Starlette's answer to an unhandled exception. */
const bare500 = (res: http.ServerResponse) => {
  res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
  res.end("Internal Server Error");
};

function setup(
  opts: { maxRetryAfterMs?: number; consecutiveFailures?: number; halfOpenAfterMs?: number } = {},
) {
  hits = 0;
  paths = [];
  const observations: InfrahubRequestObservation[] = [];
  const logger = recordingLogger();
  const options = resolveOptions({
    retry: {
      maxAttempts: 4,
      baseDelayMs: 5,
      maxDelayMs: 20,
      maxRetryAfterMs: opts.maxRetryAfterMs,
    },
    breaker: {
      consecutiveFailures: opts.consecutiveFailures ?? 50,
      halfOpenAfterMs: opts.halfOpenAfterMs ?? 60_000,
    },
    logger,
    onRequest: o => observations.push(o),
  });
  const breaker = new AddressBreaker(address, options.breaker, logger);
  const requester = new InfrahubRequester({
    address,
    agent,
    breaker,
    options,
    authKind: "password",
    secrets: () => ["pa55word-xyz"],
  });
  return { requester, observations, logger, breaker };
}

const noHeaders = async () => ({});
const neverResolves = (): never => {
  throw new Error("expected the request to fail");
};
/** The rejection, typed loosely enough to read class-specific fields. */
const caught = (err: unknown): Error & Record<string, unknown> =>
  err as Error & Record<string, unknown>;

describe("InfrahubRequester", () => {
  it("retries 5xx and reports every attempt", async () => {
    script = [
      envelope(500, "boom"),
      envelope(502, "bad gateway"),
      envelope(503, "Database unavailable"),
      json(200, { data: 1 }),
    ];
    const { requester, observations } = setup();
    expect(await requester.json(SPEC, noHeaders)).toEqual({ data: 1 });
    expect(hits).toBe(4);
    expect(observations.map(o => [o.endpoint, o.method, o.status, o.attempt])).toEqual([
      ["POST /graphql", "POST", 500, 1],
      ["POST /graphql", "POST", 502, 2],
      ["POST /graphql", "POST", 503, 3],
      ["POST /graphql", "POST", 200, 4],
    ]);
    expect(observations.every(o => o.durationMs >= 0)).toBe(true);
  });

  it("gives up after maxAttempts with Infrahub's message, address, endpoint and status", async () => {
    script = [envelope(503, "Database unavailable")];
    const { requester } = setup();
    const err = await requester.json(SPEC, noHeaders).then(neverResolves, caught);
    expect(hits).toBe(4);
    expect(err).toBeInstanceOf(InfrahubTransientError);
    expect(err.message).toContain(address);
    // Where it went is in the error (and the log), not in the message: no request lines in status.
    expect(err.endpoint).toBe("POST /graphql/main");
    expect(err.message).not.toContain("/graphql");
    expect(err.message).toContain("HTTP 503");
    expect(err.message).toContain('"Database unavailable"');
  });

  it("honours Retry-After within the cap", async () => {
    script = [envelope(429, "slow down", { "retry-after": "0" }), json(200, { ok: true })];
    const { requester } = setup();
    expect(await requester.json(SPEC, noHeaders)).toEqual({ ok: true });
    expect(hits).toBe(2);
  });

  it("does not wait out a Retry-After beyond the cap and says how long was asked", async () => {
    script = [envelope(429, "slow down", { "retry-after": "120" })];
    const { requester } = setup({ maxRetryAfterMs: 1_000 });
    const err = await requester.json(SPEC, noHeaders).then(neverResolves, caught);
    expect(hits).toBe(1);
    expect(err).toBeInstanceOf(InfrahubTransientError);
    expect(err.retryAfterMs).toBe(120_000);
  });

  it.each([
    [400, InfrahubRequestError],
    [401, InfrahubAuthError],
    [403, InfrahubAuthError],
    [404, InfrahubNotFoundError],
    [422, InfrahubRequestError],
  ])("does not retry HTTP %d", async (status, type) => {
    script = [envelope(status, "nope")];
    const { requester } = setup();
    await expect(requester.json(SPEC, noHeaders)).rejects.toBeInstanceOf(type);
    expect(hits).toBe(1);
  });

  it("maps a missing branch to NotFound for both 404 and 400", async () => {
    for (const status of [404, 400]) {
      script = [json(status, { errors: ["Branch: feature-x not found."] })];
      const { requester } = setup();
      const err = await requester.json(SPEC, noHeaders).then(neverResolves, caught);
      expect(err).toBeInstanceOf(InfrahubNotFoundError);
      expect(err.what).toBe('branch "feature-x"');
      expect(err.retryable).toBe(false);
    }
  });

  it("retries a body that is not JSON", async () => {
    script = [
      (res: http.ServerResponse) => res.end("<html>proxy error</html>"),
      json(200, { fine: 1 }),
    ];
    const { requester } = setup();
    expect(await requester.json(SPEC, noHeaders)).toEqual({ fine: 1 });
    expect(hits).toBe(2);
  });

  it("treats a stored query's GraphQL failure (502 GraphQLQuery ..., string messages) as final", async () => {
    script = [
      envelope(502, "GraphQLQuery ArtifactIDs: Cannot query field 'x' on type 'CoreArtifact'."),
    ];
    const { requester } = setup();
    const err = await requester
      .json({ ...SPEC, storedQuery: true }, noHeaders)
      .then(neverResolves, caught);
    expect(hits).toBe(1);
    expect(err).toMatchObject({ reason: "StoredQueryFailed", retryable: false });
  });

  // The answer of infrahub-server 1.11.9 (contract case sq/resolver-error).
  it("treats a stored query failing while it runs (502, message objects) as final, outside the breaker", async () => {
    script = [
      json(502, {
        data: null,
        errors: [
          {
            message: {
              message: "GraphQLQuery ResolverError: limit must be a non-negative integer",
              path: ["CoreArtifact"],
              locations: [{ line: 1, column: 23 }],
            },
            extensions: { code: 502 },
          },
        ],
      }),
    ];
    const { requester, breaker } = setup({ consecutiveFailures: 1 });
    for (let i = 1; i <= 3; i++) {
      const err = await requester
        .json({ ...SPEC, storedQuery: true }, noHeaders)
        .then(neverResolves, caught);
      expect(err).toMatchObject({ reason: "StoredQueryFailed", retryable: false });
      expect(err.serverMessages).toEqual([
        "GraphQLQuery ResolverError: limit must be a non-negative integer",
      ]);
      expect(hits).toBe(i);
    }
    expect(breaker.state).toBe("closed");
  });

  // Contract cases sq/missing-variable, sq/wrong-variable-type: a bare 500 on the request only.
  it("treats a bare 500 on a stored query as final when Infrahub answers a probe, outside the breaker", async () => {
    script = [bare500, json(200, { version: "1.11.9", deployment_id: "d" })];
    const { requester, breaker, observations } = setup({ consecutiveFailures: 1 });
    const err = await requester
      .json({ ...SPEC, path: "/api/query/NeedsVar", storedQuery: true }, async () => ({
        "x-infrahub-key": "k",
      }))
      .then(neverResolves, caught);
    expect(err).toMatchObject({ reason: "StoredQueryFailed", retryable: false, status: 500 });
    expect(paths).toEqual(["/api/query/NeedsVar", "/api/info"]);
    expect(observations.map(o => [o.endpoint, o.status])).toEqual([
      ["POST /graphql", 500],
      ["GET /api/info", 200],
    ]);
    expect(breaker.state).toBe("closed");
  });

  it("treats a bare 500 on a stored query as an outage when Infrahub fails the probe too", async () => {
    script = [bare500];
    const { requester } = setup();
    const err = await requester
      .json({ ...SPEC, path: "/api/query/ArtifactIDs", storedQuery: true }, noHeaders)
      .then(neverResolves, caught);
    expect(err).toBeInstanceOf(InfrahubTransientError);
    expect(paths).toEqual(
      Array.from({ length: 4 }, () => ["/api/query/ArtifactIDs", "/api/info"]).flat(),
    );
  });

  // Infrahub 1.11's admission layer: 429, Retry-After 5/10/20 s, X-Infrahub-Admission: shed.
  it("waits as a shedding server asks and never opens the breaker on 429s", async () => {
    const shed = envelope(429, "Server is shedding load; retry later.", {
      "retry-after": "1",
      "x-infrahub-admission": "shed",
    });
    script = [shed, shed, shed, shed, shed, json(200, { ok: true })];
    const { requester, breaker, logger } = setup({
      consecutiveFailures: 3,
      maxRetryAfterMs: 5_000,
    });
    const first = await requester.json(SPEC, noHeaders).then(neverResolves, caught);
    expect(first).toMatchObject({
      reason: "InfrahubBusy",
      retryable: true,
      shed: true,
      retryAfterMs: 1_000,
    });
    expect(hits).toBe(4);
    expect(breaker.state).toBe("closed");
    expect(await requester.json(SPEC, noHeaders)).toEqual({ ok: true });
    expect(hits).toBe(6);
    const waits = logger.records
      .filter(r => r.msg === "Retrying Infrahub request after a transient failure")
      .map(r => r.fields.delayMs as number);
    expect(waits).toHaveLength(4);
    for (const ms of waits) expect(ms).toBeGreaterThanOrEqual(1_000);
  });

  // Contract case at/before-main: HTTP 422 with the catalogue envelope.
  it("reports a time before the branch was created as TargetDateBeforeBranch, without retrying", async () => {
    script = [
      json(422, {
        data: null,
        errors: [
          {
            message:
              "Requested time '2020-01-01T00:00:00.000000Z' is before branch 'main' was created at '2026-12-04T17:43:56.023199Z'.",
            extensions: { code: "UNDEFINED_ERROR", http_status: 422, data: {} },
          },
        ],
      }),
    ];
    const { requester } = setup();
    const err = await requester.json(SPEC, noHeaders).then(neverResolves, caught);
    expect(err).toMatchObject({
      reason: "TargetDateBeforeBranch",
      retryable: false,
      branch: "main",
    });
    expect(hits).toBe(1);
  });

  it("does not retry when the header source fails", async () => {
    script = [json(200, {})];
    const { requester } = setup();
    const failure = new InfrahubTransientError(
      "login down",
      { address, endpoint: "POST /api/auth/login" },
      "",
    );
    let asked = 0;
    await expect(
      requester.json(SPEC, async () => {
        asked++;
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(asked).toBe(1);
    expect(hits).toBe(0);
  });

  it("opens the circuit after consecutive failures and stops sending", async () => {
    script = [envelope(503, "down")];
    const { requester, breaker } = setup({ consecutiveFailures: 3 });
    await expect(requester.json(SPEC, noHeaders)).rejects.toBeInstanceOf(InfrahubCircuitOpenError);
    expect(hits).toBe(3);
    expect(breaker.state).toBe("open");
    const err = await requester.json(SPEC, noHeaders).then(neverResolves, caught);
    expect(hits).toBe(3);
    expect(err).toBeInstanceOf(InfrahubCircuitOpenError);
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/next try at \d{4}-\d\d-\d\dT/);
    // What failed is said, not only that requests are paused; the Event's text has no time.
    expect(err.message).toMatch(
      /is failing; last error: Infrahub failed with a server error \(HTTP 503/,
    );
    expect(err.eventMessage).not.toMatch(/\d{4}-\d\d-\d\dT|in about/);
  });

  it("lets one trial through after the open period and closes on success", async () => {
    // Infrahub stays down until the first call has given up, so a loaded machine stretching the
    // retries past the open period only adds a failed trial, never an early success; the open
    // period is long next to the retries' 5-20 ms delays.
    script = [envelope(503, "down")];
    const { requester, breaker } = setup({ consecutiveFailures: 2, halfOpenAfterMs: 1_000 });
    await expect(requester.json(SPEC, noHeaders)).rejects.toBeInstanceOf(InfrahubCircuitOpenError);
    expect(breaker.state).toBe("open");
    script = [json(200, { back: true })];
    await new Promise(resolve => setTimeout(resolve, 1_100));
    expect(await requester.json(SPEC, noHeaders)).toEqual({ back: true });
    expect(breaker.state).toBe("closed");
  });

  it("scrubs secrets echoed by the server", async () => {
    script = [
      envelope(400, "bad password pa55word-xyz in eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"),
    ];
    const { requester } = setup();
    const err = await requester.json(SPEC, noHeaders).then(neverResolves, caught);
    expect(err.message).not.toContain("pa55word-xyz");
    expect(err.message).not.toContain("eyJ");
    expect(err.message).toContain("[redacted]");
  });
});
