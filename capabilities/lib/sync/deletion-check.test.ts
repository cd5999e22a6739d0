import { OperatorError } from "../errors";
import type { KubeObject } from "../kube/client";
import { nullLogger } from "../logger";
import { DeletionCheck } from "./deletion-check";

const obj = (uid: string): KubeObject => ({ metadata: { name: "a", uid } }) as KubeObject;
const check = (answer: () => Promise<KubeObject | undefined>) =>
  new DeletionCheck({ getOptional: answer as never }, nullLogger).check("/x/a", obj("u1"));

test("an object the API server no longer has is gone", async () => {
  await expect(check(async () => undefined)).resolves.toEqual({ kind: "gone" });
});

test("an object still there with the same uid was not deleted", async () => {
  await expect(check(async () => obj("u1"))).resolves.toEqual({
    kind: "present",
    current: obj("u1"),
  });
});

test("an object of the same name with another uid replaced the deleted one", async () => {
  await expect(check(async () => obj("u2"))).resolves.toEqual({
    kind: "replaced",
    current: obj("u2"),
  });
});

test("a failed GET says nothing, so nothing is forgotten", async () => {
  await expect(
    check(async () => {
      throw new OperatorError("down", { reason: "ApiServerUnavailable", retryable: true });
    }),
  ).resolves.toEqual({ kind: "unknown" });
});
