import { FetchMemory } from "./fetch-memory";
import { SYNC_NOW_ANNOTATION } from "./markers";
import { PollSchedule } from "./poll-schedule";
import type { InfrahubSyncObject } from "./resources";

const cached: InfrahubSyncObject = {
  metadata: { name: "s", uid: "u", generation: 3, annotations: { [SYNC_NOW_ANNOTATION]: "r" } },
} as InfrahubSyncObject;
const push = { eventId: "e", event: "artifact.updated", artifactId: "a", receivedAt: new Date() };

function memory() {
  const polls = new PollSchedule();
  const m = new FetchMemory(polls, name => (name === "s" ? cached : undefined));
  // The last fetch succeeded at the cached generation and request; the next poll is an hour away.
  m.remember("u", { at: Date.now(), generation: 3, syncRequest: "r", failed: false, problems: [] });
  polls.scheduled("s", Date.now(), 3_600_000);
  return m;
}

test("a run is proven fetch-free only after a current successful fetch, no webhook event and no poll due", () => {
  const m = memory();
  expect(m.fetchDue("s")).toBe(false);
  expect(m.fetchDue("unknown")).toBe(true);
  m.remember("u", { at: Date.now(), generation: 2, syncRequest: "r", failed: false, problems: [] });
  expect(m.fetchDue("s")).toBe(true);
  const pushed = memory();
  pushed.push("s", push);
  expect(pushed.fetchDue("s")).toBe(true);
});

test("webhook events coalesce until a run takes them, with a readiness request; forget keeps the events", () => {
  const m = memory();
  m.wantReadiness("s");
  expect(m.readinessFirst("s")).toBe(true);
  m.push("s", push);
  m.push("s", { ...push, eventId: "e2" });
  expect(m.readinessFirst("s")).toBe(false);
  expect(m.pendingPushes).toBe(1);
  m.forget("u", "s");
  expect(m.lastFetch("u")).toBeUndefined();
  expect(m.pendingPushes).toBe(1);
  const taken = m.take("s");
  expect(taken.pushed).toMatchObject({ eventId: "e2", count: 2 });
  expect(taken.readinessWanted).toBe(false);
  expect(m.take("s")).toEqual({ pushed: undefined, readinessWanted: false });
  m.push("s", push);
  m.reset();
  expect(m.pendingPushes).toBe(0);
});
