import { request } from "node:http";
import type { ArtifactEvent } from "./artifact-event";
import { WebhookReceiver, type WebhookOutcome } from "./receiver";
import { sign } from "./signature";
import type { WebhookSource } from "./webhook-keys";

const source: WebhookSource = {
  name: "infrahub-a",
  address: "http://infrahub-a",
  keys: [Buffer.from("key-a")],
};
let receiver: WebhookReceiver;
let now = 1_750_000_000_000;
const outcomes: WebhookOutcome[] = [];
const dispatched: ArtifactEvent[] = [];
let matching = 1;
let standby: string | undefined;

beforeAll(async () => {
  receiver = new WebhookReceiver({
    config: {
      host: "127.0.0.1",
      port: 0,
      maxBodyBytes: 1024,
      toleranceMs: 300_000,
      replayCacheSize: 100,
    },
    sources: { get: name => (name === source.name ? source : undefined) },
    dispatch: (_s, e) => {
      dispatched.push(e);
      return matching;
    },
    onOutcome: o => outcomes.push(o),
    standby: () => standby,
    now: () => now,
  });
  await receiver.start();
});
afterAll(() => receiver.stop());
beforeEach(() => {
  outcomes.length = 0;
  dispatched.length = 0;
  matching = 1;
  standby = undefined;
});

let n = 0;
function event(over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    data: { node_id: "art-1", artifact_definition_name: "Def", checksum: "c" },
    id: "ev-1",
    branch: "main",
    account_id: null,
    occured_at: "2025-06-01 10:00:00+00:00",
    event: "infrahub.artifact.updated",
    ...over,
  });
}

function signed(body: string, opts: { key?: string; id?: string; ts?: number } = {}) {
  const id = opts.id ?? `msg_${++n}`;
  const ts = String(opts.ts ?? now / 1000);
  return {
    "webhook-id": id,
    "webhook-timestamp": ts,
    "webhook-signature": sign(opts.key ?? "key-a", id, ts, body),
  };
}

function post(
  body: string | Buffer,
  headers: Record<string, string> = {},
  opts: { path?: string; method?: string; chunked?: boolean } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${receiver.url}${opts.path ?? "/webhooks/infrahub/infrahub-a"}`,
      {
        method: opts.method ?? "POST",
        headers: {
          "Content-Type": "application/json",
          ...headers,
          ...(opts.chunked ? { "Transfer-Encoding": "chunked" } : {}),
        },
      },
      res => {
        let text = "";
        res.on("data", c => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    if (opts.chunked) {
      const b = Buffer.from(body);
      for (let i = 0; i < b.length; i += 100) req.write(b.subarray(i, i + 100));
      req.end();
    } else req.end(body);
  });
}

test("a signed artifact event is accepted with 202 and dispatched", async () => {
  const body = event();
  const res = await post(body, signed(body));
  expect(res.status).toBe(202);
  expect(JSON.parse(res.body)).toEqual({ status: "accepted", event: "ev-1", syncs: 1 });
  expect(dispatched.map(e => [e.id, e.artifactId, e.branch])).toEqual([["ev-1", "art-1", "main"]]);
  expect(outcomes).toEqual(["accepted"]);
});

test("an event no sync holds is accepted but counted as unmatched; other events are ignored", async () => {
  matching = 0;
  const body = event();
  expect((await post(body, signed(body))).status).toBe(202);
  const other = event({ event: "infrahub.node.updated", branch: null });
  expect((await post(other, signed(other))).status).toBe(200);
  expect(outcomes).toEqual(["unmatched", "ignored"]);
  expect(dispatched).toHaveLength(1);
});

test("unsigned, wrongly signed, stale and replayed requests get 401 and dispatch nothing", async () => {
  const body = event();
  expect((await post(body)).status).toBe(401);
  expect((await post(body, signed(body, { key: "wrong" }))).status).toBe(401);
  expect((await post(body, signed(body, { ts: now / 1000 - 301 }))).status).toBe(401);
  const h = signed(body);
  expect((await post(body, h)).status).toBe(202);
  const replay = await post(body, h);
  expect(replay.status).toBe(401);
  expect(JSON.parse(replay.body).error).toMatch(/already received/);
  expect(outcomes).toEqual(["unsigned", "bad_signature", "stale", "accepted", "replayed"]);
  expect(dispatched).toHaveLength(1);
});

test("a signed but malformed body is 400; an oversized one 413, declared or streamed", async () => {
  expect((await post("not json", signed("not json"))).status).toBe(400);
  const big = event({ pad: "x".repeat(2000) });
  expect((await post(big, signed(big))).status).toBe(413);
  expect((await post(big, signed(big), { chunked: true })).status).toBe(413);
  expect(outcomes).toEqual(["malformed", "too_large", "too_large"]);
  expect(dispatched).toHaveLength(0);
});

test("unknown paths, sources and methods are refused", async () => {
  const body = event();
  expect((await post(body, signed(body), { path: "/other" })).status).toBe(404);
  expect((await post(body, signed(body), { path: "/webhooks/infrahub/nobody" })).status).toBe(404);
  expect((await post("", {}, { method: "GET" })).status).toBe(405);
  expect(outcomes).toEqual(["not_found", "unknown_source", "method_not_allowed"]);
});

test("the clock moves: a request signed long ago is stale when it arrives", async () => {
  const body = event();
  const h = signed(body);
  now += 600_000;
  try {
    expect((await post(body, h)).status).toBe(401);
    expect(outcomes).toEqual(["stale"]);
  } finally {
    now -= 600_000;
  }
});

test("a standby answers 503 with Retry-After and dispatches nothing; a valid retry is then accepted", async () => {
  const body = event();
  const h = signed(body);
  standby = "this replica is a standby; pod-a_1234 holds the lease";
  const refused = await new Promise<{ status: number; retryAfter?: string; body: string }>(
    (resolve, reject) => {
      const req = request(`${receiver.url}/webhooks/infrahub/infrahub-a`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...h },
      });
      req.on("response", res => {
        let text = "";
        res.on("data", c => (text += c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers["retry-after"],
            body: text,
          }),
        );
      });
      req.on("error", reject);
      req.end(body);
    },
  );
  expect(refused.status).toBe(503);
  expect(refused.retryAfter).toBe("10");
  expect(JSON.parse(refused.body).error).toMatch(/standby; pod-a_1234 holds the lease/);
  expect(dispatched).toHaveLength(0);
  // The refused delivery was not remembered as seen: Infrahub's retry of it counts.
  standby = undefined;
  expect((await post(body, h)).status).toBe(202);
  expect(outcomes).toEqual(["standby", "accepted"]);
});
