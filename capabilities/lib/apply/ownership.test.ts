import { OWNED_BY_ANNOTATION, OWNER_MARK_PREFIX, ownerMarkKey } from "../sync/markers";
import {
  derivedOwnersList,
  legacyOwnersToMark,
  markedOwners,
  ownerRefsWithoutVidra,
  ownersOf,
  withMarks,
} from "./ownership";

const mark = (o: string) => ({ [ownerMarkKey(o)]: o });

describe("owner marks", () => {
  test("a short owner name is the key's name part; a long one is shortened, the value keeps it", () => {
    expect(ownerMarkKey("a1b2-c3")).toBe(`${OWNER_MARK_PREFIX}a1b2-c3`);
    const long = `web-${"x".repeat(100)}.example.com`;
    const key = ownerMarkKey(long);
    const name = key.slice(OWNER_MARK_PREFIX.length);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/);
    expect(ownerMarkKey(long)).toBe(key);
    expect(ownerMarkKey(`${long}2`)).not.toBe(key);
    expect(
      markedOwners({ annotations: withMarks({ metadata: {} }, long).metadata!.annotations }),
    ).toEqual([long]);
  });

  test("withMarks adds managed-by and the owner's mark, never the shared owned-by list", () => {
    const o = withMarks(
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", labels: { a: "b" } } },
      "vr-1",
    );
    expect(o.metadata?.labels).toEqual({ a: "b", "managed-by": "vidra" });
    expect(o.metadata?.annotations).toEqual({ "managed-by": "vidra", ...mark("vr-1") });
  });

  test("marks decide; Vidra's list counts only on objects without marks", () => {
    expect(
      ownersOf({ annotations: { ...mark("b"), ...mark("a"), [OWNED_BY_ANNOTATION]: "c" } }),
    ).toEqual({
      owners: ["a", "b"],
      legacy: false,
    });
    expect(ownersOf({ annotations: { [OWNED_BY_ANNOTATION]: "x, y,x" } })).toEqual({
      owners: ["x", "y"],
      legacy: true,
    });
    expect(ownersOf({ annotations: {} })).toEqual({ owners: [], legacy: false });
  });

  test("the owned-by list is derived from the marks", () => {
    expect(derivedOwnersList({ annotations: { ...mark("b"), ...mark("a") } })).toBe("a,b");
    expect(derivedOwnersList({ annotations: { [OWNED_BY_ANNOTATION]: "legacy" } })).toBe("legacy");
    expect(derivedOwnersList({})).toBeUndefined();
  });

  test("taking over from Vidra marks the other listed owners first; marked objects need nothing", () => {
    expect(
      legacyOwnersToMark({ annotations: { [OWNED_BY_ANNOTATION]: "me,other" } }, "me"),
    ).toEqual(["other"]);
    expect(legacyOwnersToMark({ annotations: { [OWNED_BY_ANNOTATION]: "me" } }, "me")).toEqual([]);
    expect(
      legacyOwnersToMark(
        { annotations: { ...mark("me"), [OWNED_BY_ANNOTATION]: "me,gone" } },
        "me",
      ),
    ).toEqual([]);
  });

  test("owner references to VidraResources are stripped, others kept", () => {
    const vr = {
      apiVersion: "infrahub.operators.com/v1alpha1",
      kind: "VidraResource",
      name: "a",
      uid: "1",
    };
    const rs = { apiVersion: "apps/v1", kind: "ReplicaSet", name: "r", uid: "2" };
    expect(ownerRefsWithoutVidra({ metadata: { ownerReferences: [vr, rs] } })).toEqual([rs]);
    expect(ownerRefsWithoutVidra({ metadata: { ownerReferences: [vr] } })).toEqual([]);
    expect(ownerRefsWithoutVidra({ metadata: { ownerReferences: [rs] } })).toBeUndefined();
    expect(ownerRefsWithoutVidra({ metadata: {} })).toBeUndefined();
  });
});
