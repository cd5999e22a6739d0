import { startInfrahubSimulator, type InfrahubSimulator } from "../../hack/infrahub-sim";
import { KEY, baseSeed, envelope, gql, http, postJson } from "./helpers";

describe("Infrahub simulator faults and request accounting", () => {
  let sim: InfrahubSimulator;
  const info = () => http(`${sim.url}/api/info`, { headers: KEY });
  const QUERY = "{ InfrahubInfo { version } }";

  beforeAll(async () => {
    sim = await startInfrahubSimulator({ seed: baseSeed() });
  });
  afterEach(() => sim.clearFaults());
  afterAll(() => sim.stop());

  describe("fault kinds", () => {
    it("status: answers with the status and Infrahub's envelope, or a given body", async () => {
      sim.injectFault({ endpoint: "POST /graphql", kind: "status", status: 503, times: 1 });
      const res = await gql(sim, QUERY);
      expect(res.status).toBe(503);
      expect(res.json).toEqual(envelope(503, "Service Unavailable"));
      sim.injectFault({
        endpoint: "GET /api/info",
        kind: "status",
        status: 500,
        body: "Internal Server Error",
        times: 1,
      });
      const custom = await info();
      expect(custom.status).toBe(500);
      expect(custom.text).toBe("Internal Server Error");
      expect(custom.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    });

    it("times: affects only that many matching requests, then the normal answer resumes", async () => {
      sim.injectFault({ endpoint: "POST /graphql", kind: "status", status: 502, times: 2 });
      expect((await info()).status).toBe(200); // another endpoint: untouched
      expect((await gql(sim, QUERY)).status).toBe(502);
      expect((await gql(sim, QUERY)).status).toBe(502);
      expect((await gql(sim, QUERY)).status).toBe(200);
    });

    it("'*' matches every endpoint, and faults without times last until cleared", async () => {
      sim.injectFault({ endpoint: "*", kind: "status", status: 500 });
      expect((await info()).status).toBe(500);
      expect((await gql(sim, QUERY)).status).toBe(500);
      expect((await http(`${sim.url}/api/artifact/a-web-01`, { headers: KEY })).status).toBe(500);
      sim.clearFaults();
      expect((await info()).status).toBe(200);
    });

    it("path: only requests to that path (e.g. one branch's GraphQL) are faulted", async () => {
      sim.injectFault({
        endpoint: "POST /graphql",
        path: "/graphql/main",
        kind: "status",
        status: 503,
      });
      expect((await gql(sim, QUERY, { branch: "main" })).status).toBe(503);
      expect((await gql(sim, QUERY)).status).toBe(200);
      expect(() =>
        sim.injectFault({ endpoint: "*", path: "graphql", kind: "status", status: 503 }),
      ).toThrow("fault.path must be a request path");
    });

    it("applies matching faults in injection order", async () => {
      sim.injectFault({ endpoint: "GET /api/info", kind: "status", status: 503, times: 1 });
      sim.injectFault({ endpoint: "GET /api/info", kind: "status", status: 504, times: 1 });
      expect((await info()).status).toBe(503);
      expect((await info()).status).toBe(504);
      expect((await info()).status).toBe(200);
    });

    // Infrahub 1.11.9's admission layer (api/admission/middleware.py) sheds load like this.
    it("rateLimit: the admission layer's shed answer, 429 with Retry-After and X-Infrahub-Admission", async () => {
      sim.injectFault({
        endpoint: "POST /api/query",
        kind: "rateLimit",
        retryAfterSeconds: 7,
        times: 1,
      });
      const res = await postJson(`${sim.url}/api/query/ArtifactIDs`, { variables: {} }, KEY);
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("7");
      expect(res.headers.get("x-infrahub-admission")).toBe("shed");
      expect(res.json).toEqual(envelope(429, "Server is shedding load; retry later."));
    });

    it("expiredToken: 401 Expired Signature whatever the credential", async () => {
      sim.injectFault({ endpoint: "GET /api/artifact", kind: "expiredToken", times: 1 });
      const res = await http(`${sim.url}/api/artifact/a-web-01`, { headers: KEY });
      expect(res.status).toBe(401);
      expect(res.json).toEqual(envelope(401, "Expired Signature"));
      expect((await http(`${sim.url}/api/artifact/a-web-01`, { headers: KEY })).status).toBe(200);
    });

    it("garbage: 200 with a body that is not JSON", async () => {
      sim.injectFault({ endpoint: "POST /graphql", kind: "garbage", times: 1 });
      const res = await fetch(`${sim.url}/graphql`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...KEY },
        body: JSON.stringify({ query: QUERY }),
      });
      expect(res.status).toBe(200);
      await expect(res.json()).rejects.toThrow(/not valid JSON/);
    });

    it("reset: the socket is destroyed without a response", async () => {
      sim.injectFault({ endpoint: "GET /api/storage/object", kind: "reset", times: 1 });
      await expect(fetch(`${sim.url}/api/storage/object/x`, { headers: KEY })).rejects.toThrow();
      expect((await http(`${sim.url}/api/storage/object/x`, { headers: KEY })).status).toBe(404);
    });

    it("truncate: headers promise more bytes than arrive, then the connection ends", async () => {
      sim.injectFault({ endpoint: "POST /graphql", kind: "truncate", times: 1 });
      const res = await fetch(`${sim.url}/graphql`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...KEY },
        body: JSON.stringify({ query: QUERY }),
      });
      expect(res.status).toBe(200);
      await expect(res.text()).rejects.toThrow();
    });

    it("hang: never answers, so the client's own timeout fires", async () => {
      sim.injectFault({ endpoint: "GET /api/info", kind: "hang", times: 1 });
      await expect(
        fetch(`${sim.url}/api/info`, { signal: AbortSignal.timeout(300) }),
      ).rejects.toThrow(/aborted|timeout/i);
      expect((await info()).status).toBe(200);
    });

    it("latency: delays the matching request, which then answers normally", async () => {
      sim.injectFault({ endpoint: "POST /graphql", kind: "latency", ms: 2000, times: 1 });
      const order: string[] = [];
      const slow = gql(sim, QUERY).then(res => {
        order.push("slow");
        return res;
      });
      const fast = info().then(res => {
        order.push("fast");
        return res;
      });
      const [slowRes, fastRes] = await Promise.all([slow, fast]);
      expect(slowRes.status).toBe(200);
      expect(fastRes.status).toBe(200);
      expect(order).toEqual(["fast", "slow"]);
    });

    it("rejects malformed faults with a clear message", () => {
      expect(() => sim.injectFault({ endpoint: "", kind: "reset" })).toThrow(/endpoint label/);
      expect(() => sim.injectFault({ endpoint: "*", kind: "explode" } as never)).toThrow(
        /unknown fault kind "explode"/,
      );
      expect(() => sim.injectFault({ endpoint: "*", kind: "status", status: 42 })).toThrow(
        /between 100 and 599/,
      );
      expect(() => sim.injectFault({ endpoint: "*", kind: "reset", times: 0 })).toThrow(
        /positive integer/,
      );
    });
  });

  it("stop() closes the server even with a hung request and open keep-alive sockets", async () => {
    const own = await startInfrahubSimulator({ seed: baseSeed() });
    own.injectFault({ endpoint: "GET /api/info", kind: "hang" });
    await http(`${own.url}/api/auth/logout`, { method: "POST" }); // leaves a keep-alive socket
    const hung = fetch(`${own.url}/api/info`).then(
      () => "answered",
      () => "failed",
    );
    await new Promise(resolve => setTimeout(resolve, 100));
    await own.stop();
    expect(await hung).toBe("failed");
    await expect(fetch(`${own.url}/api/info`)).rejects.toThrow();
  });

  describe("counting and the request log", () => {
    it("counts requests per endpoint label, faulted ones included, and resets", async () => {
      sim.resetCounts();
      await info();
      await gql(sim, QUERY);
      await gql(sim, QUERY, { branch: "main" });
      await postJson(`${sim.url}/api/auth/login`, { username: "admin", password: "infrahub" });
      await http(`${sim.url}/api/auth/refresh`, { method: "POST" });
      await postJson(`${sim.url}/api/query/ArtifactIDs`, {}, KEY);
      await http(`${sim.url}/api/storage/object/x`, { headers: KEY });
      sim.injectFault({ endpoint: "GET /api/artifact", kind: "status", status: 500, times: 1 });
      await http(`${sim.url}/api/artifact/a-web-01`, { headers: KEY });
      await http(`${sim.url}/api/elsewhere`);
      expect(sim.requestCounts()).toEqual({
        "GET /api/info": 1,
        "POST /graphql": 2,
        "POST /api/auth/login": 1,
        "POST /api/auth/refresh": 1,
        "POST /api/query": 1,
        "GET /api/storage/object": 1,
        "GET /api/artifact": 1,
        "GET /api/elsewhere": 1,
      });
      sim.resetCounts();
      expect(sim.requestCounts()).toEqual({});
      expect(sim.requestLog).toEqual([]);
    });

    it("logs method, path with query, endpoint, status and request headers", async () => {
      sim.resetCounts();
      await http(`${sim.url}/api/artifact/a-web-01?branch=main`, { headers: KEY });
      sim.injectFault({ endpoint: "GET /api/info", kind: "reset", times: 1 });
      await fetch(`${sim.url}/api/info`).catch(() => undefined);
      const [ok, reset] = sim.requestLog;
      expect(ok).toMatchObject({
        method: "GET",
        path: "/api/artifact/a-web-01?branch=main",
        endpoint: "GET /api/artifact",
        status: 200,
      });
      expect(ok.headers["x-infrahub-key"]).toBe(KEY["X-INFRAHUB-KEY"]);
      expect(reset).toMatchObject({ endpoint: "GET /api/info", status: 0 });
    });

    it("keeps only the last 1000 requests, oldest first", async () => {
      sim.resetCounts();
      for (let i = 0; i < 1005; i++) await http(`${sim.url}/api/info?i=${i}`, { headers: KEY });
      const log = sim.requestLog;
      expect(log).toHaveLength(1000);
      expect(log[0].path).toBe("/api/info?i=5");
      expect(log[999].path).toBe("/api/info?i=1004");
      expect(sim.requestCounts()["GET /api/info"]).toBe(1005);
    });
  });
});
