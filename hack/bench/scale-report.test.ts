import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FailoverResult } from "./failover";
import {
  readBaselines,
  recordBaseline,
  scaleBlock,
  withScaleBlock,
  type Baselines,
  type Recorded,
} from "./scale-report";
import type { ScaleConvergeResult } from "./scale-converge";
import type { ScaleSteadyResult } from "./scale-steady";

const recorded = <T>(result: T, commit: string): Recorded<T> => ({
  commit,
  date: "2026-12-05 00:40 UTC",
  load: "1.50, 2.00, 2.50",
  seconds: 90,
  result,
});

const steady = (requests: number, reads: number): ScaleSteadyResult => ({
  syncs: 100,
  addresses: 5,
  groups: 10,
  intervals: 10,
  pollSeconds: 5,
  discovery: "GraphQL",
  perInterval: {
    infrahubRequests: requests,
    logins: 0,
    downloads: 0,
    apiReads: reads,
    apiWrites: 0,
    leaseRequests: 5,
    counterReads: reads,
    counterWrites: 0,
  },
  breakdown: { "get infrahubsyncs vidra-pepr": reads / 3, "get leases vidra-pepr": 2.5 },
});

const converge = (convergeMs: number | undefined): ScaleConvergeResult => ({
  syncs: 5000,
  pollSeconds: 30,
  discovery: "GraphQL",
  capMinutes: 20,
  createMs: 60_000,
  convergeMs,
  readyAtEnd: convergeMs === undefined ? 3100 : 5000,
  readyByMinute: [10, 500],
  rssMaxMiB: 400,
  steady: { syncs: 5000, rssMiB: 350, cpuPercent: 80, windowSeconds: 120 },
  clusterRssMaxMiB: 2000,
});

const failover: FailoverResult = {
  objects: 60,
  leaseDurationSeconds: 15,
  runs: [{ writtenAtKill: 10, takeoverMs: 16_000, firstWriteMs: 16_400, finishedMs: 17_000 }],
  median: { takeoverMs: 16_000, firstWriteMs: 16_400, finishedMs: 17_000 },
  max: { takeoverMs: 16_000, firstWriteMs: 16_400, finishedMs: 17_000 },
};

const doc = `# Benchmarks

## 4. Controller memory and CPU

text

## Reproduce

\`\`\`bash
npm run bench
\`\`\`
`;

test("a part's block shows the recorded baseline beside this run", () => {
  const base: Baselines = { "scale-steady": recorded(steady(100, 300), "aaaaaaa") };
  const block = scaleBlock("scale-steady", recorded(steady(10, 0), "bbbbbbb"), base);
  expect(block).toContain("| Infrahub requests (counted by the simulators) | 100 | 10 | ≤ 10 |");
  expect(block).toContain(
    "| API-server reads: GET and LIST (API server's audit log) | 300 | 0 | 0 |",
  );
  expect(block).toContain("previous (aaaaaaa, 2026-12-05 00:40 UTC, load 1.50, 2.00, 2.50)");
  expect(block).toContain("this run (bbbbbbb,");
  expect(block).toContain("npm run bench -- --only scale-steady");
  // Lease traffic is in its own row, not in the list of the operator's requests.
  expect(block).not.toContain("`get leases vidra-pepr`");
});

test("a run that did not converge says so, with how many were Ready", () => {
  const block = scaleBlock("scale-converge", recorded(converge(540_000), "b"), {
    "scale-converge": recorded(converge(undefined), "a"),
  });
  expect(block).toContain(
    "| converge: first sent → all Ready | did not converge in 20 min (3100 of 5000 Ready) | 9.0 min | |",
  );
  expect(block).toContain("350 MiB (at the cap, not converged) | 350 MiB |");
});

test("the steady-state window and the module's Node.js options are shown for both runs", () => {
  const now = {
    ...converge(540_000),
    steady: { syncs: 5000, rssMiB: 290, cpuPercent: 20, windowSeconds: 600 },
    nodeFlags: ["--heap-growing-percent=40", "--max-semi-space-size=4"],
  };
  const block = scaleBlock("scale-converge", recorded(now, "b"), {
    "scale-converge": recorded(converge(600_000), "a"),
  });
  expect(block).toContain(
    "| module RSS, max at steady state (over 120 s before, 600 s now) | 350 MiB | 290 MiB | ≤ 300 MiB |",
  );
  expect(block).toContain(
    "| module Node.js options (hack/node-flags.ts) | Node's defaults | `--heap-growing-percent=40` `--max-semi-space-size=4` | |",
  );
});

test("without a baseline the previous column says so", () => {
  const block = scaleBlock("failover", recorded(failover, "b"), {});
  expect(block).toContain("previous median (none recorded for this plan)");
  expect(block).toContain(
    "| the new leader's first write (audit log) | – | 16.4 s (max 16.4 s, 1 run) |",
  );
});

test("a baseline of another size (a --quick run's) is not shown as previous", () => {
  const small = { ...steady(20, 60), syncs: 20 };
  const block = scaleBlock("scale-steady", recorded(small, "b"), {
    "scale-steady": recorded(steady(100, 300), "a"),
  });
  expect(block).toContain("previous (none recorded for this plan)");
  expect(block).toContain("| Infrahub requests (counted by the simulators) | – | 20 | ≤ 10 |");
});

test("blocks go into a scale-out section before Reproduce, in order, and are replaced in place", () => {
  const b = (part: "scale-steady" | "scale-converge" | "failover", body: string) =>
    `<!-- bench:${part} -->\n${body}\n<!-- /bench:${part} -->`;
  let text = withScaleBlock(doc, "failover", b("failover", "F1"));
  text = withScaleBlock(text, "scale-steady", b("scale-steady", "S1"));
  text = withScaleBlock(text, "scale-converge", b("scale-converge", "C1"));
  const order = ["## 4.", "## 5. Scale out", "S1", "C1", "F1", "## Reproduce"].map(s =>
    text.indexOf(s),
  );
  expect(order.every(i => i >= 0)).toBe(true);
  expect([...order].sort((x, y) => x - y)).toEqual(order);
  const again = withScaleBlock(text, "scale-converge", b("scale-converge", "C2"));
  expect(again).toBe(text.replace("C1", "C2"));
  expect(again.match(/## 5\. Scale out/g)).toHaveLength(1);
});

test("a recorded baseline is kept per part", () => {
  const file = join(mkdtempSync(join(tmpdir(), "bench-")), "baselines.json");
  expect(readBaselines(file)).toEqual({});
  recordBaseline("failover", recorded(failover, "a"), file);
  recordBaseline("scale-steady", recorded(steady(100, 300), "a"), file);
  const kept = JSON.parse(readFileSync(file, "utf8")) as Baselines;
  expect(Object.keys(kept).sort()).toEqual(["failover", "scale-steady"]);
  expect(kept.failover?.result.median.firstWriteMs).toBe(16_400);
});
