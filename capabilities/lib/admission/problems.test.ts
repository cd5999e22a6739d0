import { asRecord, asString, newProblems, Problems, specOf } from "./problems";

test("Problems prefixes each problem with its field and skips undefined ones", () => {
  const p = new Problems();
  p.add("spec.a", "is wrong");
  p.add("spec.b", undefined);
  expect(p.items).toEqual(["spec.a is wrong"]);
});

test("newProblems keeps only what the update brings, and only looks at the old object when needed", () => {
  const previous = jest.fn(() => ["spec.a is wrong", "spec.b is wrong"]);
  expect(newProblems([], previous)).toEqual([]);
  expect(previous).not.toHaveBeenCalled();
  expect(newProblems(["spec.a is wrong", "spec.c is wrong"], previous)).toEqual([
    "spec.c is wrong",
  ]);
  expect(newProblems(["spec.a is wrong"], previous)).toEqual([]);
});

test("loose accessors", () => {
  expect(asRecord({ a: 1 })).toEqual({ a: 1 });
  expect(asRecord([1])).toBeUndefined();
  expect(asRecord(null)).toBeUndefined();
  expect(asString(1)).toBeUndefined();
  expect(specOf({ spec: { x: 1 } })).toEqual({ x: 1 });
  expect(specOf("nope")).toBeUndefined();
});
