import { OWNED_BY_ANNOTATION } from "../sync/markers";
import { conflictingOwners, forceIsSafe, parseConflicts, removeField } from "./conflicts";
import { isImmutableFieldError, ssaPolicy } from "./ssa-policy";

describe("conflicts", () => {
  test("the managers and fields of a 409 are read from its causes, or its message", () => {
    const causes = [
      {
        reason: "FieldManagerConflict",
        message: 'conflict with "vidra-pepr/b" using v1',
        field: ".data.color",
      },
      {
        reason: "FieldManagerConflict",
        message: 'conflict with "kubectl-edit"',
        field: ".data.size",
      },
    ];
    expect(parseConflicts(causes)).toEqual([
      { manager: "vidra-pepr/b", field: ".data.color" },
      { manager: "kubectl-edit", field: ".data.size" },
    ]);
    expect(parseConflicts([], 'Apply failed with 1 conflict: conflict with "helm"')).toEqual([
      { manager: "helm", field: "" },
    ]);
  });

  test("another VidraResource's field is never forced; the owners list never blocks", () => {
    expect(forceIsSafe([{ manager: "kubectl-edit", field: ".spec.replicas" }])).toBe(true);
    expect(forceIsSafe([{ manager: "vidra-pepr/b", field: ".spec.replicas" }])).toBe(false);
    const list = `.metadata.annotations.${OWNED_BY_ANNOTATION}`;
    expect(forceIsSafe([{ manager: "vidra-pepr/b", field: list }])).toBe(true);
    expect(conflictingOwners([{ manager: "vidra-pepr/b", field: ".x" }])).toEqual(["vidra-pepr/b"]);
  });

  test("removeField follows structured-merge-diff paths, including keyed list items and dotted keys", () => {
    const payload = {
      metadata: { labels: { "app.kubernetes.io/name": "web", app: "web" } },
      spec: {
        replicas: 2,
        template: {
          spec: {
            containers: [
              { name: "web", image: "nginx", ports: [{ containerPort: 80, protocol: "TCP" }] },
              { name: "side", image: "busybox" },
            ],
          },
        },
        finalizers: ["a", "b"],
      },
    };
    expect(removeField(payload, ".spec.replicas")).toBe(true);
    expect(payload.spec).not.toHaveProperty("replicas");
    expect(removeField(payload, '.spec.template.spec.containers[name="web"].image')).toBe(true);
    expect(payload.spec.template.spec.containers[0]).toEqual({
      name: "web",
      ports: [{ containerPort: 80, protocol: "TCP" }],
    });
    expect(
      removeField(
        payload,
        '.spec.template.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"]',
      ),
    ).toBe(true);
    expect(payload.spec.template.spec.containers[0].ports).toEqual([]);
    expect(removeField(payload, '.spec.finalizers[="a"]')).toBe(true);
    expect(payload.spec.finalizers).toEqual(["b"]);
    expect(removeField(payload, ".metadata.labels.app.kubernetes.io/name")).toBe(true);
    expect(payload.metadata.labels).toEqual({ app: "web" });
    expect(removeField(payload, ".spec.nothing")).toBe(false);
    expect(removeField(payload, '.spec.template.spec.containers[name="none"].image')).toBe(false);
  });
});

describe("per-object opt-outs", () => {
  test("ssa Ignore and IfNotPresent, force Enabled, from the manifest or the live object", () => {
    const a = (annotations: Record<string, string>) => ({ metadata: { annotations } });
    expect(ssaPolicy(a({ "infrahub.operators.com/ssa": "Ignore" }), undefined).ignore).toBe(true);
    expect(ssaPolicy(undefined, a({ "infrahub.operators.com/ssa": "ignore" })).ignore).toBe(true);
    expect(
      ssaPolicy(a({ "infrahub.operators.com/ssa": "IfNotPresent" }), undefined).ifNotPresent,
    ).toBe(true);
    expect(
      ssaPolicy(a({ "infrahub.operators.com/force": "Enabled" }), undefined).recreateOnImmutable,
    ).toBe(true);
    expect(ssaPolicy(a({}), a({}))).toEqual({
      ignore: false,
      ifNotPresent: false,
      recreateOnImmutable: false,
    });
  });
  test("immutable-field answers are recognised", () => {
    expect(
      isImmutableFieldError(
        'Deployment.apps "x" is invalid: spec.selector: Invalid value: …: field is immutable',
      ),
    ).toBe(true);
    expect(isImmutableFieldError("spec.replicas: Invalid value: -1")).toBe(false);
  });
});
