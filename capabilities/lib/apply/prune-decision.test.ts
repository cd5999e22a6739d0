import type { KubeObject } from "../kube/client";
import { OWNED_BY_ANNOTATION, ownerMarkKey } from "../sync/markers";
import { decidePrune, PRUNE_ANNOTATION } from "./prune-decision";

const obj = (annotations: Record<string, string>, managed = true): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: {
    name: "x",
    resourceVersion: "7",
    labels: managed ? { "managed-by": "vidra" } : {},
    annotations,
  },
});
const marks = (...owners: string[]) => Object.fromEntries(owners.map(o => [ownerMarkKey(o), o]));

describe("decidePrune", () => {
  test("gone or unmanaged objects are left alone", () => {
    expect(decidePrune(undefined, "a", "delete", false)).toEqual({
      action: "skip",
      message: "already gone",
    });
    expect(decidePrune(obj(marks("a"), false), "a", "delete", false).action).toBe("skip");
  });

  test("the sole owner deletes, or orphans; prune: disabled keeps it", () => {
    expect(decidePrune(obj(marks("a")), "a", "delete", true)).toEqual({ action: "delete" });
    expect(decidePrune(obj(marks("a")), "a", "orphan", true)).toEqual({ action: "orphan" });
    expect(
      decidePrune(obj({ ...marks("a"), [PRUNE_ANNOTATION]: "disabled" }), "a", "delete", true)
        .action,
    ).toBe("skip");
  });

  test("another owner's mark means release, whatever the owned-by list says", () => {
    // The list lost b (what a racing comma-list writer did): the marks still say b owns it.
    expect(
      decidePrune(obj({ ...marks("a", "b"), [OWNED_BY_ANNOTATION]: "a" }), "a", "delete", true),
    ).toEqual({
      action: "release",
      others: ["b"],
      legacy: false,
    });
    expect(decidePrune(obj(marks("a", "b")), "a", "orphan", true).action).toBe("release");
  });

  test("objects Vidra wrote are decided on its list", () => {
    expect(decidePrune(obj({ [OWNED_BY_ANNOTATION]: "a,b" }), "a", "delete", false)).toEqual({
      action: "release",
      others: ["b"],
      legacy: true,
    });
    expect(decidePrune(obj({ [OWNED_BY_ANNOTATION]: "a" }), "a", "delete", false)).toEqual({
      action: "delete",
    });
  });

  test("an object owned by others only is not this owner's to delete; leftover fields are given up", () => {
    expect(decidePrune(obj(marks("b")), "a", "delete", true)).toMatchObject({
      action: "skip",
      giveUp: true,
    });
    expect(decidePrune(obj(marks("b")), "a", "delete", false)).toMatchObject({
      action: "skip",
      giveUp: false,
    });
  });

  test("a managed object with no marks and no list is the pruning owner's (its inventory says so)", () => {
    expect(decidePrune(obj({}), "a", "delete", false)).toEqual({ action: "delete" });
  });
});
