import { OperatorError } from "../errors";
import type { FetchState, PendingPush } from "./fetch-memory";
import {
  fetchTrigger,
  nextPollTime,
  oldestAcceptedAnswer,
  pollDueAt,
  requeueAfterFailure,
  requeueAt,
} from "./fetch-timing";
import type { InfrahubSyncObject } from "./resources";

const sync = { metadata: { name: "s", generation: 2 } } as InfrahubSyncObject;
const ok: FetchState = { at: 1_000, generation: 2, syncRequest: "r1", failed: false, problems: [] };
const push: PendingPush = {
  eventId: "e",
  event: "artifact.updated",
  artifactId: "a",
  receivedAt: new Date(5_000),
  count: 1,
};
const future = Date.now() + 3_600_000;

test("a run fetches for the first reason that holds, in order: webhook, spec, retry, sync-now, poll", () => {
  expect(fetchTrigger(sync, "r1", ok, push, future)).toBe("Webhook");
  expect(fetchTrigger(sync, "r1", undefined, undefined, undefined)).toBe("Spec");
  expect(fetchTrigger(sync, "r1", { ...ok, generation: 1, failed: true }, undefined, future)).toBe(
    "Spec",
  );
  expect(fetchTrigger(sync, "r2", { ...ok, failed: true }, undefined, future)).toBe("Retry");
  expect(fetchTrigger(sync, "r2", ok, undefined, future)).toBe("SyncNow");
  expect(fetchTrigger(sync, "r1", ok, undefined, 0)).toBe("Poll");
  // Nothing but a VidraResource changed before the poll is due (or the sync does not poll).
  expect(fetchTrigger(sync, "r1", ok, undefined, future)).toBeUndefined();
  expect(fetchTrigger(sync, "r1", ok, undefined, undefined)).toBeUndefined();
});

test("the poll is due on its grid time, else an interval after the last fetch; never without polling", () => {
  expect(pollDueAt(ok, 10_000)).toBe(11_000);
  expect(pollDueAt({ ...ok, dueAt: 12_500 }, 10_000)).toBe(12_500);
  expect(pollDueAt(ok, 0)).toBeUndefined();
  expect(pollDueAt(undefined, 10_000)).toBeUndefined();
  expect(nextPollTime(undefined, 10_000, 3_000)).toBe(13_000);
  expect(nextPollTime("group", 0, 3_000)).toBeUndefined();
  expect(requeueAt(13_000, 3_000)).toEqual({ requeueAfterMs: 10_000 });
  expect(requeueAt(1_000, 3_000)).toEqual({ requeueAfterMs: 0 });
  expect(requeueAt(undefined, 3_000)).toBeUndefined();
});

test("a batched answer is accepted from shortly before the poll was due, after the webhook, else only new", () => {
  expect(oldestAcceptedAnswer("Poll", 60_000, 60_000, undefined, 90_000)).toBeLessThan(60_000);
  expect(oldestAcceptedAnswer("Webhook", 60_000, 60_000, push, 90_000)).toBe(5_000);
  expect(oldestAcceptedAnswer("Spec", undefined, 60_000, undefined, 90_000)).toBe(90_000);
});

test("a failed fetch comes back with backoff when retryable, else at the next poll", () => {
  const retryable = new OperatorError("down", { reason: "Down", retryable: true });
  const final = new OperatorError("bad", { reason: "Bad", retryable: false });
  expect(() => requeueAfterFailure(retryable, 60_000)).toThrow(retryable);
  expect(requeueAfterFailure(final, 60_000)).toEqual({ requeueAfterMs: 60_000 });
  expect(requeueAfterFailure(final, 0)).toBeUndefined();
});
