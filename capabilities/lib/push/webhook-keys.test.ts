import { recordingLogger, type LogRecord } from "../logger";
import { sourceFromSecret, WebhookKeyStore } from "./webhook-keys";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const secret = (name: string, data: Record<string, string>) => ({
  metadata: { name, namespace: "pepr-system" },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
});

test("a Secret gives the normalised Infrahub address and its keys", () => {
  expect(
    sourceFromSecret(
      secret("infrahub-a", {
        infrahubAPIURL: "HTTPS://Infrahub.Example.com:443/",
        sharedKey: "k1\n",
        previousSharedKey: "k0",
      }),
    ),
  ).toEqual({
    name: "infrahub-a",
    address: "https://infrahub.example.com",
    keys: [Buffer.from("k1"), Buffer.from("k0")],
  });
});

test("a Secret without an address or a key, or with a bad address, is refused with the reason", () => {
  expect(sourceFromSecret(secret("s", { sharedKey: "k" }))).toMatch(/no data key infrahubAPIURL/);
  expect(sourceFromSecret(secret("s", { infrahubAPIURL: "http://x", sharedKey: " " }))).toMatch(
    /no data key sharedKey/,
  );
  expect(sourceFromSecret(secret("s", { infrahubAPIURL: "ftp://x", sharedKey: "k" }))).toMatch(
    /scheme/,
  );
});

test("the store follows upserts and deletions and never logs a key", () => {
  const records: LogRecord[] = [];
  const store = new WebhookKeyStore(recordingLogger(records));
  store.upsert(secret("a", { infrahubAPIURL: "http://a", sharedKey: "very-secret-key" }));
  expect(store.get("a")?.address).toBe("http://a");
  store.upsert(secret("a", { infrahubAPIURL: "http://a" }));
  expect(store.get("a")).toBeUndefined();
  store.upsert(secret("a", { infrahubAPIURL: "http://a", sharedKey: "very-secret-key" }));
  store.remove(secret("a", {}));
  expect(store.size).toBe(0);
  expect(JSON.stringify(records)).not.toContain("very-secret-key");
  expect(records.map(r => r.msg)).toEqual([
    "webhook key loaded",
    expect.stringMatching(/not usable/),
    "webhook key loaded",
    "webhook key removed",
  ]);
});
