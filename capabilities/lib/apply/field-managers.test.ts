import {
  changedManagers,
  entriesToTakeOver,
  isDriftBy,
  isController,
  isPersonOrLegacyTool,
  takeOverManagedFields,
  unionFields,
  type ManagedFieldsEntry,
} from "./field-managers";

const entry = (manager: string, operation: string, fieldsV1: unknown, subresource?: string) =>
  ({
    manager,
    operation,
    apiVersion: "v1",
    fieldsType: "FieldsV1",
    fieldsV1,
    subresource,
  }) as ManagedFieldsEntry;

describe("field managers", () => {
  test("people and legacy tools, the operator, and controllers are told apart", () => {
    for (const m of [
      "kubectl",
      "kubectl-edit",
      "kubectl-client-side-apply",
      "kubectl-scale",
      "before-first-apply",
      "manager",
    ])
      expect([m, isPersonOrLegacyTool(m)]).toEqual([m, true]);
    for (const m of ["kube-controller-manager", "helm", "kubectlish", "vidra-pepr/x", "vidra-pepr"])
      expect([m, isPersonOrLegacyTool(m)]).toEqual([m, false]);
    expect(isController("kube-controller-manager")).toBe(true);
    expect(isController("vidra-pepr/x")).toBe(false);
    expect(isController("vidra-pepr-legacy-owners")).toBe(false);
    expect(isController("kubectl-edit")).toBe(false);
  });

  test("fieldsV1 tries are merged key by key", () => {
    expect(
      unionFields(
        { "f:data": { "f:a": {} }, "f:metadata": { "f:labels": { "f:x": {} } } },
        { "f:data": { "f:b": {}, ".": {} } },
      ),
    ).toEqual({
      "f:data": { "f:a": {}, "f:b": {}, ".": {} },
      "f:metadata": { "f:labels": { "f:x": {} } },
    });
  });

  test("on adoption every person's entry is folded into the owner's; controllers and subresources stay", () => {
    const entries = [
      entry("kubectl-create", "Update", { "f:data": { "f:a": {}, "f:extra": {} } }),
      entry("kubectl-label", "Update", { "f:metadata": { "f:labels": { "f:x": {} } } }),
      entry("example-controller", "Update", { "f:metadata": { "f:finalizers": {} } }),
      entry("kube-controller-manager", "Update", { "f:spec": { "f:replicas": {} } }, "scale"),
    ];
    const out = takeOverManagedFields(entries, "vidra-pepr/a", true)!;
    expect(out.map(e => `${e.manager}/${e.operation}`)).toEqual([
      "example-controller/Update",
      "kube-controller-manager/Update",
      "vidra-pepr/a/Apply",
    ]);
    expect(out[2].fieldsV1).toEqual({
      "f:data": { "f:a": {}, "f:extra": {} },
      "f:metadata": { "f:labels": { "f:x": {} } },
    });
  });

  test("on a managed object only whole-object writers are taken over, into the existing entry", () => {
    const entries = [
      entry("vidra-pepr/a", "Apply", { "f:data": { "f:a": {} } }),
      entry("kubectl-edit", "Update", { "f:data": { "f:b": {} } }),
      entry("kubectl-rollout", "Update", { "f:spec": {} }),
    ];
    expect(entriesToTakeOver(entries, "vidra-pepr/a", false).map(e => e.manager)).toEqual([
      "kubectl-edit",
    ]);
    const out = takeOverManagedFields(entries, "vidra-pepr/a", false)!;
    expect(out.map(e => e.manager)).toEqual(["kubectl-rollout", "vidra-pepr/a"]);
    expect(out[1].fieldsV1).toEqual({ "f:data": { "f:a": {}, "f:b": {} } });
    expect(takeOverManagedFields([entries[0], entries[2]], "vidra-pepr/a", false)).toBeUndefined();
  });
});

describe("who changed an object", () => {
  const e = (manager: string, time: string, subresource?: string) =>
    ({ manager, operation: "Update", time, subresource, fieldsV1: {} }) as ManagedFieldsEntry;
  test("writers are the entries that are new or have a new time; losing fields is not writing", () => {
    const before = [e("vidra-pepr/a", "t1"), e("kubectl-edit", "t1")];
    expect(
      changedManagers(before, [
        e("vidra-pepr/a", "t1"),
        e("kube-controller-manager", "t2", "scale"),
      ]),
    ).toEqual(["kube-controller-manager"]);
    expect(changedManagers(before, [e("vidra-pepr/a", "t1"), e("kubectl-edit", "t2")])).toEqual([
      "kubectl-edit",
    ]);
  });
  test("a controller's write is not drift; a person's, an owner's, or an unknown writer's is", () => {
    expect(isDriftBy(["kube-controller-manager"])).toBe(false);
    expect(isDriftBy(["vidra-pepr", "some-operator"])).toBe(false);
    expect(isDriftBy(["kube-controller-manager", "kubectl-scale"])).toBe(true);
    expect(isDriftBy(["vidra-pepr/b"])).toBe(true);
    expect(isDriftBy([])).toBe(true);
  });
});
