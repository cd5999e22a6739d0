import { PollSchedule } from "./poll-schedule";

test("a poll is overdue once late by a quarter of its interval (at least the minimum), until it starts", () => {
  const s = new PollSchedule(10_000);
  s.scheduled("fast", 0, 5_000); // grace 10 s (the minimum)
  s.scheduled("slow", 0, 60_000); // grace 15 s
  s.scheduled("off", 0, 0);
  expect(s.overdue(14_000)).toEqual([]);
  expect(s.overdue(16_000)).toEqual([{ name: "fast", dueAt: 5_000, lateMs: 11_000 }]);
  expect(s.overdue(76_000).map(o => o.name)).toEqual(["fast", "slow"]);
  s.started("fast");
  expect(s.overdue(76_000).map(o => o.name)).toEqual(["slow"]);
  expect(s.lateness("fast", 76_000)).toBe(71_000);
  expect(s.lateness("off", 76_000)).toBeUndefined();
  // The poll ran: its next one is due an interval later.
  s.finished("fast");
  s.scheduled("fast", 77_000, 5_000);
  expect(s.overdue(80_000).map(o => o.name)).toEqual(["slow"]);
  expect(s.lateness("fast", 80_000)).toBe(0);
  s.forget("slow");
  expect(s.overdue(1_000_000).map(o => o.name)).toEqual(["fast"]);
  s.reset();
  expect(s.overdue(1_000_000)).toEqual([]);
  expect(s.size).toBe(0);
});

test("a poll is not due before its time, and a sync without a poll (never fetched, retrying) is never 'not due'", () => {
  const s = new PollSchedule(10_000);
  expect(s.notDue("new", 0)).toBe(false);
  s.scheduled("a", 1_000, 30_000);
  expect(s.notDue("a", 30_999)).toBe(true);
  expect(s.notDue("a", 31_000)).toBe(false);
  s.scheduled("a", 31_000, 0);
  expect(s.notDue("a", 31_001)).toBe(false);
});
