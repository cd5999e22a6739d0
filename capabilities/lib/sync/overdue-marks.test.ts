import { nullLogger } from "../logger";
import { OverdueMarks } from "./overdue-marks";
import type { OverduePoll } from "./poll-schedule";

const late = (n: number, dueAt = 1): OverduePoll[] =>
  Array.from({ length: n }, (_, i) => ({ name: `s${i}`, dueAt, lateMs: 20_000 }));

test("thousands of late polls are marked a few at a time, each once", async () => {
  let inFlight = 0;
  let most = 0;
  const marked: string[] = [];
  const marks = new OverdueMarks(
    async o => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise(r => setImmediate(r));
      marked.push(o.name);
      inFlight--;
    },
    nullLogger,
    2,
  );
  await marks.check(late(1000));
  expect(most).toBe(2);
  expect(marked).toHaveLength(1000);
  await marks.check(late(1000));
  expect(marked).toHaveLength(1000);
});

test("a check while marks are being written starts no more; the next one marks what is left", async () => {
  const marked: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>(r => (release = r));
  const marks = new OverdueMarks(
    async o => {
      await gate;
      marked.push(o.name);
    },
    nullLogger,
    1,
  );
  const first = marks.check(late(1));
  await marks.check(late(3));
  release();
  await first;
  expect(marked).toEqual(["s0"]);
  await marks.check(late(3));
  expect(marked).toEqual(["s0", "s1", "s2"]);
});

test("a failed mark is logged and the others go on; a poll late again (a new due time) is marked again", async () => {
  const marked: string[] = [];
  const marks = new OverdueMarks(async o => {
    if (o.name === "s0" && o.dueAt === 1) throw new Error("conflict");
    marked.push(`${o.name}@${o.dueAt}`);
  }, nullLogger);
  await marks.check(late(2));
  expect(marked).toEqual(["s1@1"]);
  await marks.check(late(2, 2));
  expect(marked).toEqual(["s1@1", "s0@2", "s1@2"]);
});
