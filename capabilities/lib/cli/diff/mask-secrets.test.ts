import { maskSecretPair } from "./mask-secrets";
import { objectDiff } from "./object-diff";

const secret = (data: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "db", namespace: "app" },
  data,
  ...extra,
});
const b64 = (s: string) => Buffer.from(s).toString("base64");

test("unchanged values are ***, changed ones *** (before) / *** (after), added and removed ones too", () => {
  const [before, after] = maskSecretPair(
    secret({ same: b64("x"), changed: b64("old"), gone: b64("g") }),
    secret({ same: b64("x"), changed: b64("new"), added: b64("a") }),
  );
  expect(before!.data).toEqual({ same: "***", changed: "*** (before)", gone: "*** (before)" });
  expect(after!.data).toEqual({ same: "***", changed: "*** (after)", added: "*** (after)" });
});

test("stringData counts as the data it becomes, and disappears from the output", () => {
  const [before, after] = maskSecretPair(secret({ password: b64("p") }), {
    ...secret({}),
    stringData: { password: "p", user: "u" },
  });
  expect(before!.data).toEqual({ password: "***" });
  expect(after!.data).toEqual({ password: "***", user: "*** (after)" });
  expect(after).not.toHaveProperty("stringData");
});

test("a created or deleted Secret shows its keys only; the last-applied annotation is masked", () => {
  const annotated = secret(
    { token: b64("t0ps3cret") },
    {
      metadata: {
        name: "db",
        annotations: {
          "kubectl.kubernetes.io/last-applied-configuration": '{"data":{"token":"dDBwczNjcmV0"}}',
        },
      },
    },
  );
  const [before, after] = maskSecretPair(undefined, annotated);
  expect(before).toBeUndefined();
  expect(after!.data).toEqual({ token: "***" });
  expect(after!.metadata!.annotations!["kubectl.kubernetes.io/last-applied-configuration"]).toBe(
    "***",
  );
  const text = objectDiff("v1.Secret.app.db", undefined, annotated);
  expect(text).not.toMatch(/t0ps3cret|dDBwczNjcmV0/);
  expect(text).toContain("+  token: '***'");
});

test("other kinds are left as they are", () => {
  const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { k: "v" } };
  expect(maskSecretPair(cm, cm)).toEqual([cm, cm]);
});
