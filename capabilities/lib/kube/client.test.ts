import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeClient } from "./client";
import { KubeApiError } from "./errors";

let server: Server;
let answers: Array<{ status: number; body?: unknown; headers?: Record<string, string> }> = [];
let seen: string[] = [];
let impersonated: Array<string | undefined> = [];
let agents: Array<string | undefined> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    impersonated.push(req.headers["impersonate-user"] as string | undefined);
    agents.push(req.headers["user-agent"]);
    const a = answers.shift() ?? { status: 200, body: {} };
    res.writeHead(a.status, { "Content-Type": "application/json", ...(a.headers ?? {}) });
    res.end(JSON.stringify(a.body ?? {}));
  });
  await new Promise<void>(r => server.listen(0, "127.0.0.1", r));
});

afterAll(async () => {
  await new Promise(r => server.close(r));
});

beforeEach(() => {
  answers = [];
  seen = [];
  impersonated = [];
  agents = [];
});

function client(): KubeClient {
  const { port } = server.address() as AddressInfo;
  return new KubeClient(
    { server: `http://127.0.0.1:${port}`, origin: "test" },
    { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20 },
  );
}

const status = (code: number, reason: string, message = reason) => ({
  kind: "Status",
  code,
  reason,
  message,
});

test("retries 5xx and 429 (honouring Retry-After), then succeeds", async () => {
  answers = [
    { status: 503, body: status(503, "ServiceUnavailable") },
    { status: 429, body: status(429, "TooManyRequests"), headers: { "Retry-After": "0" } },
    { status: 200, body: { metadata: { name: "x" } } },
  ];
  const kube = client();
  await expect(kube.get("/api/v1/namespaces/default/configmaps/x")).resolves.toEqual({
    metadata: { name: "x" },
  });
  expect(seen).toHaveLength(3);
  kube.close();
});

test("gives up after maxAttempts with a typed, retryable error", async () => {
  answers = Array.from({ length: 6 }, () => ({
    status: 500,
    body: status(500, "InternalError", "etcd is down"),
  }));
  const kube = client();
  const err = await kube.get("/api/v1/pods").catch(e => e);
  expect(err).toBeInstanceOf(KubeApiError);
  expect(err.retryable).toBe(true);
  expect(err.message).toContain("etcd is down");
  expect(seen).toHaveLength(4);
  kube.close();
});

test("a 409 on a status write is retried; on an object write it is not; 422 never", async () => {
  const kube = client();
  answers = [
    { status: 409, body: status(409, "Conflict") },
    { status: 200, body: {} },
  ];
  await kube.mergePatch("/apis/x/v1/things/a/status", { status: {} });
  expect(seen).toHaveLength(2);

  seen = [];
  answers = [{ status: 409, body: status(409, "Conflict") }];
  const conflict = await kube.mergePatch("/apis/x/v1/things/a", { metadata: {} }).catch(e => e);
  expect(conflict.conflict).toBe(true);
  expect(seen).toHaveLength(1);

  seen = [];
  answers = [
    {
      status: 422,
      body: {
        ...status(422, "Invalid"),
        details: { causes: [{ field: "spec.x", message: "bad" }] },
      },
    },
  ];
  const invalid = await kube.create("/api/v1/namespaces/default/configmaps", {}).catch(e => e);
  expect(invalid.retryable).toBe(false);
  expect(invalid.causes).toEqual([{ field: "spec.x", message: "bad" }]);
  expect(seen).toHaveLength(1);
  kube.close();
});

test("server-side apply sends the field manager, force and dry-run", async () => {
  const kube = client();
  answers = [{ status: 200, body: {} }];
  await kube.apply(
    "/api/v1/namespaces/default/configmaps/x",
    { kind: "ConfigMap" },
    { fieldManager: "vidra-pepr/a", force: true, dryRun: true },
  );
  expect(seen[0]).toBe(
    "PATCH /api/v1/namespaces/default/configmaps/x?fieldManager=vidra-pepr%2Fa&force=true&dryRun=All",
  );
  kube.close();
});

test("a server URL with a path (a proxy such as Rancher's) keeps it before every API path", async () => {
  const { port } = server.address() as AddressInfo;
  const kube = new KubeClient(
    { server: `http://127.0.0.1:${port}/k8s/clusters/c-1/`, origin: "test" },
    { maxAttempts: 1 },
  );
  answers = [{ status: 200, body: {} }];
  await kube.get("/api/v1/namespaces/default/configmaps/x");
  expect(seen).toEqual(["GET /k8s/clusters/c-1/api/v1/namespaces/default/configmaps/x"]);
  kube.close();
});

test("the write fence is not asked before the connection is up (a pause there would send the write late)", async () => {
  // Accepts TCP connections and never answers the TLS handshake.
  const held: Socket[] = [];
  const silent = createNetServer(socket => void held.push(socket));
  await new Promise<void>(r => silent.listen(0, "127.0.0.1", r));
  let asked = 0;
  const kube = new KubeClient(
    { server: `https://127.0.0.1:${(silent.address() as AddressInfo).port}`, origin: "test" },
    { maxAttempts: 1, timeoutMs: 300, writeFence: () => void asked++ },
  );
  await expect(
    kube.mergePatch("/api/v1/namespaces/default/configmaps/x", { data: {} }),
  ).rejects.toBeInstanceOf(KubeApiError);
  expect(held.length).toBeGreaterThan(0);
  expect(asked).toBe(0);
  kube.close();
  for (const socket of held) socket.destroy();
  await new Promise(r => silent.close(r));
});

test("no answer at all is a retryable error with status 0", async () => {
  const kube = new KubeClient(
    { server: "http://127.0.0.1:1", origin: "test" },
    { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
  );
  const err = await kube.get("/version").catch(e => e);
  expect(err).toBeInstanceOf(KubeApiError);
  expect(err.status).toBe(0);
  expect(err.reason).toBe("KubernetesUnreachable");
  kube.close();
});

test("a client with an impersonated user sends Impersonate-User on every request; others none", async () => {
  const { port } = server.address() as AddressInfo;
  const base = { server: `http://127.0.0.1:${port}`, origin: "test" };
  const plain = new KubeClient(base, { maxAttempts: 1 });
  const as = new KubeClient(base, {
    maxAttempts: 1,
    impersonate: { user: "system:serviceaccount:team-a:applier" },
  });
  await plain.get("/api/v1/namespaces/default/configmaps/x");
  await as.apply("/api/v1/namespaces/team-a/configmaps/x", {}, { fieldManager: "m", dryRun: true });
  await as.delete("/api/v1/namespaces/team-a/configmaps/x");
  expect(impersonated).toEqual([
    undefined,
    "system:serviceaccount:team-a:applier",
    "system:serviceaccount:team-a:applier",
  ]);
  plain.close();
  as.close();
});

test("a 500 that is really invalid input (undecodable Secret data) is not retried; messages carry no request line", async () => {
  answers = [
    {
      status: 500,
      body: {
        kind: "Status",
        code: 500,
        message:
          "failed to convert new object (default/b64; /v1, Kind=Secret) to proper version: unable to convert unstructured object to /v1, Kind=Secret: error decoding from json: illegal base64 data at input byte 3",
      },
    },
  ];
  const kube = client();
  const err = await kube
    .apply("/api/v1/namespaces/default/secrets/b64", {}, { fieldManager: "t", dryRun: true })
    .catch(e => e);
  expect(err).toBeInstanceOf(KubeApiError);
  expect(err.retryable).toBe(false);
  expect(err.reason).toBe("KubernetesInvalid");
  expect(seen).toHaveLength(1);
  expect(err.message).toMatch(
    /^failed to convert new object .*illegal base64 data at input byte 3 \(API server http:\/\/127\.0\.0\.1:\d+, HTTP 500\)$/,
  );
  expect(err.message).not.toContain("PATCH");
  expect(err.request).toBe("PATCH /api/v1/namespaces/default/secrets/b64");
  kube.close();
});

test("the write fence is asked before every write attempt, never before a read", async () => {
  const { port } = server.address() as AddressInfo;
  let asked = 0;
  const requests: string[] = [];
  const kube = new KubeClient(
    { server: `http://127.0.0.1:${port}`, origin: "test" },
    {
      maxAttempts: 3,
      baseDelayMs: 5,
      maxDelayMs: 20,
      userAgent: "vidra-pepr/pod-1_abcd",
      onRequest: i => requests.push(i.method),
      writeFence: () => {
        // Leader for the first attempt only.
        if (++asked > 1) throw new Error("not the leader");
      },
    },
  );
  // A write that fails transiently once: the retry asks the fence again, and is refused.
  answers = [{ status: 503, body: status(503, "ServiceUnavailable") }];
  const write = kube.mergePatch("/api/v1/namespaces/default/configmaps/x", { data: {} });
  await expect(write).rejects.toThrow("not the leader");
  expect(asked).toBe(2);
  expect(seen).toEqual(["PATCH /api/v1/namespaces/default/configmaps/x"]);
  // Refused writes were never sent, so they are not counted as requests.
  expect(requests).toEqual(["PATCH"]);
  await expect(kube.get("/api/v1/namespaces/default/configmaps/x")).resolves.toBeDefined();
  expect(asked).toBe(2);
  await expect(kube.delete("/api/v1/namespaces/default/configmaps/x")).rejects.toThrow(
    "not the leader",
  );
  expect(agents).toEqual(["vidra-pepr/pod-1_abcd", "vidra-pepr/pod-1_abcd"]);
  kube.close();
});

test("the re-send after a 401 of changing credentials asks the fence again", async () => {
  const { port } = server.address() as AddressInfo;
  const dir = mkdtempSync(join(tmpdir(), "fence-"));
  const tokenFile = join(dir, "token");
  writeFileSync(tokenFile, "t1");
  let asked = 0;
  let leaderFor = Infinity;
  const kube = new KubeClient(
    { server: `http://127.0.0.1:${port}`, tokenFile, origin: "test" },
    {
      maxAttempts: 1,
      userAgent: "vidra-pepr/pod-1_abcd",
      writeFence: () => {
        if (++asked > leaderFor) throw new Error("not the leader");
      },
    },
  );
  try {
    // A token file's credentials may change: a 401 makes the transport read them and re-send.
    answers = [{ status: 401, body: status(401, "Unauthorized") }];
    await expect(kube.mergePatch("/api/v1/namespaces/default/configmaps/x", {})).resolves.toEqual(
      {},
    );
    expect(asked).toBe(2);
    expect(seen).toHaveLength(2);
    // The lease is lost between the first attempt and the re-send: the re-send is not sent.
    leaderFor = asked + 1;
    answers = [{ status: 401, body: status(401, "Unauthorized") }];
    await expect(kube.mergePatch("/api/v1/namespaces/default/configmaps/x", {})).rejects.toThrow(
      "not the leader",
    );
    expect(asked).toBe(4);
    expect(seen).toHaveLength(3);
    expect(agents).toEqual(Array(3).fill("vidra-pepr/pod-1_abcd"));
  } finally {
    kube.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
