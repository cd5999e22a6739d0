/** The push row of BENCHMARKS.md's change propagation table, and its note. */
import type { PushResult } from "./push";
import { ms } from "./stats";

const PUSH_ROW = "| artifact changed → object updated, pushed by Infrahub's webhook";

export function pushRow(p: PushResult): string {
  return `${PUSH_ROW} (poll every ${p.pollInterval}, ${p.changes} changes) | ${ms(p.pushed.p50)} | ${ms(p.pushed.p95)} | ${ms(p.pushed.max)} |`;
}

export function pushNote(p: PushResult): string {
  return `Push row: the simulator sends Infrahub's webhook at once (its default delivery), signed; the
receiver verifies it and queues the sync, which fetches after a 200 ms debounce (bursts of events
make one fetch) through the normal path. With a 10-minute poll only the webhook can explain a
change landing within seconds (${p.accepted} webhooks accepted, ${p.triggers} fetches triggered for
${p.changes} changes). Target: p50 ≤ 1000 ms.`;
}

/** BENCHMARKS.md with the push row (and its note) replaced, or added below the sync-now row. */
export function withPushRow(text: string, p: PushResult, stamp: string): string {
  const lines = text.split("\n");
  const row = `${pushRow(p)}`;
  const at = lines.findIndex(l => l.startsWith(PUSH_ROW));
  if (at >= 0) lines[at] = row;
  else {
    const after = lines.findIndex(l =>
      l.startsWith("| the same, triggered by the sync-now annotation"),
    );
    if (after < 0)
      throw new Error("BENCHMARKS.md has no change propagation table to add the push row to");
    lines.splice(after + 1, 0, row);
  }
  let out = lines.join("\n");
  const note = `${pushNote(p)} (${stamp})`;
  const start = out.indexOf("Push row:");
  if (start >= 0) {
    const end = out.indexOf("\n\n", start);
    out = `${out.slice(0, start)}${note}${out.slice(end < 0 ? out.length : end)}`;
  } else {
    const para = out.indexOf(
      "polls every minute by default, so its median would be about 30 s plus its own work.",
    );
    if (para < 0) throw new Error("BENCHMARKS.md: cannot find where the push note goes");
    const end = out.indexOf("\n", para);
    out = `${out.slice(0, end + 1)}\n${note}\n${out.slice(end + 1)}`;
  }
  return out;
}
