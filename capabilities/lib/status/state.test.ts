import { outcomeConditions } from "./conditions";
import { stateOf } from "./state";

const at = new Date("2025-01-01T00:00:00Z");
const conditions = (o: Parameters<typeof outcomeConditions>[1]) =>
  outcomeConditions(undefined, o, 1, at);

test("the state follows Ready, so the State and Ready columns never disagree", () => {
  expect(stateOf(undefined)).toEqual({ state: "Pending", lastError: "" });
  expect(stateOf(conditions({ kind: "ready", reason: "Synced", message: "ok" }))).toEqual({
    state: "Succeeded",
    lastError: "",
  });
  expect(stateOf(conditions({ kind: "progressing", reason: "Applying", message: "w" }))).toEqual({
    state: "Running",
    lastError: "",
  });
  const failed = (reason: string) =>
    stateOf(conditions({ kind: "failed", reason, message: `${reason}!`, stalled: false }));
  expect(failed("VidraResourceFailed")).toEqual({
    state: "Failed",
    lastError: "VidraResourceFailed!",
  });
  expect(failed("PruneFailed")).toEqual({ state: "Stale", lastError: "PruneFailed!" });
  expect(failed("CleanupFailed")).toEqual({ state: "Stale", lastError: "CleanupFailed!" });
  expect(failed("Suspended")).toEqual({ state: "Stale", lastError: "" });
});
