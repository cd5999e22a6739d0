import type { PushResult } from "./push";
import { withPushRow } from "./push-report";

const result = (p50: number): PushResult => ({
  changes: 50,
  pollInterval: "10m",
  pushed: { p50, p95: 900, max: 1200 },
  triggers: 50,
  accepted: 50,
});

const before = `# Benchmarks

## 3. Change propagation (50 changes)

| | p50 | p95 | max |
|---|---|---|---|
| artifact changed → object updated, polling every 2 s | 1046 ms | 1935 ms | 2002 ms |
| the same, triggered by the sync-now annotation (no poll wait) | 107 ms | 200 ms | 209 ms |

Changes are made at random moments within the poll interval. Vidra
polls every minute by default, so its median would be about 30 s plus its own work.

## 4. Controller memory and CPU
`;

test("adds the push row under the sync-now row and its note, keeping every other row", () => {
  const once = withPushRow(before, result(412), "measured on day 1");
  expect(once).toContain("| 1046 ms | 1935 ms | 2002 ms |");
  expect(once).toContain("| 107 ms | 200 ms | 209 ms |");
  expect(once).toMatch(
    /sync-now annotation \(no poll wait\) \| 107 ms \| 200 ms \| 209 ms \|\n\| artifact changed → object updated, pushed by Infrahub's webhook \(poll every 10m, 50 changes\) \| 412 ms \| 900 ms \| 1200 ms \|\n/,
  );
  expect(once).toMatch(/its own work\.\n\nPush row: [\s\S]*\(measured on day 1\)\n\n## 4/);
  const twice = withPushRow(once, result(300), "measured on day 2");
  expect(twice.match(/pushed by Infrahub's webhook/g)).toHaveLength(1);
  expect(twice.match(/Push row:/g)).toHaveLength(1);
  expect(twice).toContain("| 300 ms |");
  expect(twice).toContain("(measured on day 2)\n\n## 4");
  expect(twice).not.toContain("day 1");
});
