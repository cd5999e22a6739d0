import { Webhook } from "standardwebhooks";
import { pythonAsciiJson, sign, verifySignature, WebhookSignatureError } from "./signature";

const key = "a shared key with ünïcode";
const keyBytes = Buffer.from(key, "utf8");
const body = Buffer.from(
  '{"data":{"node_id":"a1"},"id":"e1","branch":"main","event":"infrahub.artifact.updated"}',
);
const now = 1_750_000_000_000;
const ts = String(now / 1000);

function headers(signature = sign(key, "msg_1", ts, body), timestamp = ts) {
  return { id: "msg_1", timestamp, signature };
}

function reason(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof WebhookSignatureError ? err.reason : `other: ${String(err)}`;
  }
}

const verify = (
  h: ReturnType<typeof headers>,
  b = body,
  keys = [keyBytes],
  toleranceMs = 300_000,
) => verifySignature({ headers: h, body: b, keys, nowMs: now, toleranceMs });

test("agrees with the standardwebhooks reference implementation in both directions", () => {
  const reference = new Webhook(keyBytes, { format: "raw" });
  const theirs = reference.sign("msg_1", new Date(now), body.toString());
  expect(sign(key, "msg_1", ts, body)).toBe(theirs);
  jest.useFakeTimers({ now });
  try {
    expect(() =>
      reference.verify(body.toString(), {
        "webhook-id": "msg_1",
        "webhook-timestamp": ts,
        "webhook-signature": sign(key, "msg_1", ts, body),
      }),
    ).not.toThrow();
  } finally {
    jest.useRealTimers();
  }
  expect(verify(headers(theirs))).toEqual({ id: "msg_1", timestampSeconds: now / 1000 });
});

test("matches a signature Python's hmac computed for Infrahub (fixed vector)", () => {
  // python3 -c 'import hmac,hashlib,base64;print(base64.b64encode(hmac.new(b"k", b"msg_x.1.{}", hashlib.sha256).digest()).decode())'
  expect(sign("k", "msg_x", 1, "{}")).toBe("v1,X5BpQPPs84sAv2qTv2LOwhxnwk8ZzN+WLK+4/T34G2k=");
});

test("missing headers are unsigned; a wrong key, body, id or timestamp is a bad signature", () => {
  expect(reason(() => verify({ id: "msg_1", timestamp: ts, signature: "" }))).toBe("unsigned");
  expect(reason(() => verify({ id: "", timestamp: ts, signature: "v1,x" }))).toBe("unsigned");
  expect(reason(() => verify(headers(sign("other", "msg_1", ts, body))))).toBe("bad_signature");
  expect(reason(() => verify(headers(), Buffer.from(body.toString().replace("a1", "a2"))))).toBe(
    "bad_signature",
  );
  expect(reason(() => verify({ ...headers(), id: "msg_2" }))).toBe("bad_signature");
  expect(reason(() => verify(headers(sign(key, "msg_1", ts, body), String(now / 1000 + 1))))).toBe(
    "bad_signature",
  );
  expect(reason(() => verify(headers("v1,not base64 !!")))).toBe("bad_signature");
  expect(reason(() => verify(headers(sign(key, "msg_1", "12x", body), "12x")))).toBe(
    "bad_signature",
  );
  expect(reason(() => verify(headers(`v2,${sign(key, "msg_1", ts, body).slice(3)}`)))).toBe(
    "bad_signature",
  );
});

test("any of several signatures and any of several keys may match", () => {
  const good = sign(key, "msg_1", ts, body);
  expect(verify(headers(`v1,AAAA ${good}`)).id).toBe("msg_1");
  expect(
    verify(headers(sign("previous", "msg_1", ts, body)), body, [keyBytes, Buffer.from("previous")])
      .id,
  ).toBe("msg_1");
});

test("timestamps outside the tolerance are stale, in the past and in the future", () => {
  const at = (seconds: number) => {
    const t = String(now / 1000 + seconds);
    return headers(sign(key, "msg_1", t, body), t);
  };
  expect(verify(at(-299)).id).toBe("msg_1");
  expect(verify(at(299)).id).toBe("msg_1");
  expect(reason(() => verify(at(-301)))).toBe("stale");
  expect(reason(() => verify(at(301)))).toBe("stale");
  expect(reason(() => verify(at(-61), body, [keyBytes], 60_000))).toBe("stale");
  expect(verify(at(-3600), body, [keyBytes], 7_200_000).id).toBe("msg_1");
});

test("a body Infrahub signed with Python's ASCII escapes verifies when sent as UTF-8", () => {
  const sent = Buffer.from(
    '{"data":{"artifact_definition_name":"Défínition 🚀"},"id":"e"}',
    "utf8",
  );
  // json.dumps({...}, separators=(",", ":")) in Python writes exactly this:
  const signed =
    '{"data":{"artifact_definition_name":"D\\u00e9f\\u00ednition \\ud83d\\ude80"},"id":"e"}';
  expect(pythonAsciiJson(sent)?.toString()).toBe(signed);
  expect(verify(headers(sign(key, "msg_1", ts, signed)), sent).id).toBe("msg_1");
  expect(verify(headers(sign(key, "msg_1", ts, sent)), sent).id).toBe("msg_1");
  expect(pythonAsciiJson(body)).toBeUndefined();
  expect(pythonAsciiJson(Buffer.from([0x7b, 0xff, 0x7d]))).toBeUndefined();
});
