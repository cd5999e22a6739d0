import { ownerNameFor } from "./diff/file-diff";
import { emptyTotals, exitCodeOf, summary } from "./diff/render";
import { run } from "./main";
import { age, table } from "./table";

test("exit codes as kubectl diff: 0 nothing, 1 changes, 2 when something cannot be applied", () => {
  expect(exitCodeOf(emptyTotals())).toBe(0);
  expect(exitCodeOf({ ...emptyTotals(), unchanged: 5 })).toBe(0);
  expect(exitCodeOf({ ...emptyTotals(), prune: 1 })).toBe(1);
  expect(exitCodeOf({ ...emptyTotals(), create: 1, problems: 1 })).toBe(2);
  expect(summary({ create: 1, configure: 2, prune: 3, unchanged: 4, problems: 0 })).toBe(
    "1 to create, 2 to change, 3 to prune, 4 unchanged",
  );
});

test("a file name becomes a VidraResource name", () => {
  expect(ownerNameFor("/tmp/Team A_web.yaml")).toBe("team-a-web");
  expect(ownerNameFor("--.yaml")).toBe("manifest");
});

test("tables align their columns; ages read like kubectl's", () => {
  expect(table(["A", "BB"], [["xxx", "y"]])).toEqual(["A     BB", "xxx   y"]);
  const now = new Date("2026-01-01T00:10:00Z");
  expect(age("2026-01-01T00:09:30Z", now)).toBe("30s");
  expect(age("2026-01-01T00:00:00Z", now)).toBe("10m");
  expect(age(undefined, now)).toBe("-");
});

test("usage errors exit 2 before any cluster is contacted", async () => {
  const err: string[] = [];
  const io = { out: () => undefined, err: (l: string) => err.push(l) };
  const connector = () => {
    throw new Error("must not connect");
  };
  expect(await run(["diff", "--bogus"], io, connector)).toBe(2);
  expect(err[0]).toMatch(/^error: Unknown option '--bogus'/);
  expect(await run([], io, connector)).toBe(2);
  expect(await run(["--help"], { ...io, out: l => err.push(l) }, connector)).toBe(0);
  expect(err.pop()).toMatch(/^usage: vidra <command>/);
});
