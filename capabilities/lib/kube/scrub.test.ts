import { isSecretPath, scrubValues } from "./scrub";

describe("scrubValues", () => {
  test("Go-printed values in server-side apply errors are cut out, nested braces included", () => {
    const text =
      "failed to create typed patch object (/v1, Kind=Secret) default/db: .data.password: expected string, got &value.valueUnstructured{Value:hunter2}";
    expect(scrubValues(text)).toBe(
      "failed to create typed patch object (/v1, Kind=Secret) default/db: .data.password: expected string, got &value.valueUnstructured{Value:<redacted>}",
    );
    const nested =
      '.stringData: expected map, got &value.valueUnstructured{Value:map[string]interface {}{"token":"s3cr3t"}} and more';
    const scrubbed = scrubValues(nested);
    expect(scrubbed).not.toContain("s3cr3t");
    expect(scrubbed).toBe(
      ".stringData: expected map, got &value.valueUnstructured{Value:<redacted>} and more",
    );
    expect(scrubValues("a &value.valueReflect{Value:x} b &value.valueUnstructured{Value:y}")).toBe(
      "a &value.valueReflect{Value:<redacted>} b &value.valueUnstructured{Value:<redacted>}",
    );
    expect(scrubValues("unterminated &value.valueUnstructured{Value:{leak")).not.toContain("leak");
  });

  test("for Secrets, quoted and bare invalid values go too; other objects keep them", () => {
    const text =
      'data[pass]: Invalid value: "p@ss \\"quoted\\" word": must be base64; type: Invalid value: Opaque2: unknown';
    const s = scrubValues(text, { secret: true });
    expect(s).not.toContain("p@ss");
    expect(s).not.toContain("Opaque2");
    expect(s).toContain('data[pass]: Invalid value: "<redacted>": must be base64');
    expect(scrubValues('spec.replicas: Invalid value: "three"')).toContain('"three"');
    expect(
      scrubValues('json: cannot unmarshal string "abc" into …', { secret: true }),
    ).not.toContain("abc");
  });

  test("Secret paths are recognised", () => {
    expect(isSecretPath("/api/v1/namespaces/x/secrets/db")).toBe(true);
    expect(isSecretPath("/api/v1/namespaces/x/secrets")).toBe(true);
    expect(isSecretPath("/api/v1/namespaces/x/configmaps/secrets-list")).toBe(false);
  });
});
