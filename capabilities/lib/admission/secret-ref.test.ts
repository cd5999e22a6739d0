import { secretKeyProblem } from "./names";
import { Problems } from "./problems";
import { checkSecretRef } from "./secret-ref";

function check(ref: unknown, keys = ["key"]): string[] {
  const p = new Problems();
  checkSecretRef(p, "spec.x.ref", ref, keys);
  return p.items;
}

describe("checkSecretRef", () => {
  test.each([
    undefined,
    null,
    { name: "infrahub-creds", namespace: "default" },
    { name: "creds.v2", namespace: "vidra-system", key: "ca.crt" },
    { name: "c", namespace: "d", key: "KUBE_config-1" },
  ])("accepts %j", ref => expect(check(ref)).toEqual([]));

  test("a non-object is refused", () => {
    expect(check("my-secret")).toEqual([
      "spec.x.ref must be an object with the Secret's name and namespace",
    ]);
    expect(check(["a"])).toEqual([
      "spec.x.ref must be an object with the Secret's name and namespace",
    ]);
  });

  test("name and namespace are required; namespace because the referrer is cluster-scoped", () => {
    expect(check({})).toEqual([
      "spec.x.ref.name is required: the name of the Secret",
      "spec.x.ref.namespace is required: this object is cluster-scoped, so the Secret's namespace must be given",
    ]);
  });

  test("name is a DNS-1123 subdomain, namespace a DNS-1123 label", () => {
    expect(check({ name: "My_Secret", namespace: "a.b" })).toEqual([
      'spec.x.ref.name "My_Secret" is not a valid DNS-1123 subdomain (lowercase letters, digits, "-" and ".", starting and ending with a letter or digit)',
      'spec.x.ref.namespace "a.b" is not a valid DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit)',
    ]);
    expect(check({ name: "s", namespace: "n".repeat(64) })).toEqual([
      `spec.x.ref.namespace "${"n".repeat(64)}" is longer than 63 characters`,
    ]);
  });

  test("key fields may be absent but never empty or malformed", () => {
    expect(check({ name: "s", namespace: "n", key: "" })).toEqual([
      "spec.x.ref.key is empty: name a data key of the Secret, or remove the field to use the default",
    ]);
    expect(check({ name: "s", namespace: "n", key: "ca crt" })).toEqual([
      'spec.x.ref.key "ca crt" is not a valid Secret data key (letters, digits, "-", "_" and "." only)',
    ]);
    expect(check({ name: "s", namespace: "n", a: "x/y", b: "ok" }, ["a", "b"])).toEqual([
      'spec.x.ref.a "x/y" is not a valid Secret data key (letters, digits, "-", "_" and "." only)',
    ]);
  });
});

describe("secretKeyProblem", () => {
  test.each(["token", "ca.crt", "tls-key_1", ".hidden", "a..b"])("accepts %j", k =>
    expect(secretKeyProblem(k)).toBeUndefined(),
  );
  test.each([
    [".", /must not be "\." or start with "\.\."/],
    ["..", /must not be "\."/],
    ["..data", /start with "\.\."/],
    ["a/b", /letters, digits/],
    ["k".repeat(254), /longer than 253 characters/],
  ])("denies %j", (k, expected) => expect(secretKeyProblem(k)).toMatch(expected));
});
