import { OperatorError } from "../../errors";
import { KindRetries } from "./failure";

const unknownKind = () =>
  new OperatorError("no Widget here", { reason: "UnknownKind", retryable: false });

test("a kind not served yet is tried again after 5 s, doubling to a minute", () => {
  const retries = new KindRetries();
  const waits = Array.from({ length: 7 }, () => retries.retryMs("vr", unknownKind()));
  expect(waits).toEqual([5_000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
});

test("another failure, or forget, starts the doubling again; each resource counts its own", () => {
  const retries = new KindRetries();
  retries.retryMs("a", unknownKind());
  retries.retryMs("a", unknownKind());
  expect(retries.retryMs("b", unknownKind())).toBe(5_000);
  expect(
    retries.retryMs("a", new OperatorError("refused", { reason: "Conflict", retryable: false })),
  ).toBeUndefined();
  expect(retries.retryMs("a", new Error("socket hang up"))).toBeUndefined();
  expect(retries.retryMs("a", unknownKind())).toBe(5_000);
  retries.retryMs("b", unknownKind());
  retries.forget("b");
  expect(retries.retryMs("b", unknownKind())).toBe(5_000);
});
