/**
 * BENCHMARKS.md's scale-out section: three blocks (steady state over many addresses, thousands of
 * syncs on one watcher, leader failover), each between markers so a run of one part replaces its
 * block alone. Each row shows the recorded baseline ("previous", hack/bench/baselines.json, with
 * its commit and date) beside this run's number.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FailoverResult } from "./failover";
import type { ScaleConvergeResult } from "./scale-converge";
import type { ScaleSteadyResult } from "./scale-steady";
import { ms } from "./stats";

/** A result with where and when it was measured. */
export interface Recorded<T> {
  commit: string;
  date: string;
  /** The machine's load averages (1, 5, 15 min) when the part started. */
  load: string;
  /** How long the part took, in seconds. */
  seconds: number;
  result: T;
}

export interface Baselines {
  "scale-steady"?: Recorded<ScaleSteadyResult>;
  "scale-converge"?: Recorded<ScaleConvergeResult>;
  failover?: Recorded<FailoverResult>;
}

export type ScalePart = keyof Baselines;
export const SCALE_PARTS: ScalePart[] = ["scale-steady", "scale-converge", "failover"];

export const BASELINES_FILE = join(__dirname, "baselines.json");

export function readBaselines(file = BASELINES_FILE): Baselines {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Baselines;
  } catch {
    return {};
  }
}

/** Keeps `recorded` as the part's baseline (the "previous" column of later runs). */
export function recordBaseline<P extends ScalePart>(
  part: P,
  recorded: NonNullable<Baselines[P]>,
  file = BASELINES_FILE,
): void {
  const all = readBaselines(file);
  all[part] = recorded;
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
}

const HEADING = "## 5. Scale out";
const INTRO = `${HEADING}

Each part runs on a cluster of its own. "Previous" is the baseline recorded in
\`hack/bench/baselines.json\` (its commit and date beside it); "this run" is the run that wrote the
table. Load averages (1/5/15 min) were taken as each part started: the machine has 2 cores shared
with other work, so times are noisy; counts are not.`;

const fmt = (n: number | undefined) =>
  n === undefined ? "–" : Number.isInteger(n) ? String(n) : n.toFixed(1);
const stamp = (r: Recorded<unknown> | undefined) =>
  r ? `${r.commit}, ${r.date}, load ${r.load}` : "none recorded for this plan";
const minutes = (v: number) => (v < 120_000 ? ms(v) : `${(v / 60_000).toFixed(1)} min`);
const took = (r: Recorded<unknown>) => `${Math.max(1, Math.round(r.seconds / 60))} min`;

function steadyBlock(
  run: Recorded<ScaleSteadyResult>,
  prev: Recorded<ScaleSteadyResult> | undefined,
): string {
  const r = run.result;
  const p = prev?.result.perInterval;
  const n = r.perInterval;
  const row = (what: string, key: keyof typeof n, target: string) =>
    `| ${what} | ${fmt(p?.[key])} | ${fmt(n[key])} | ${target} |`;
  const breakdown = Object.entries(r.breakdown)
    .filter(([k]) => !/ (leases|\/readyz|\/livez|\/healthz) /.test(k))
    .map(([k, v]) => `\`${k}\` ${fmt(v)}`)
    .join(", ");
  return `### 5a. Steady state: ${r.syncs} syncs over ${r.addresses} Infrahub addresses (${r.groups} groups), ${r.intervals} poll intervals of ${r.pollSeconds} s

A group is one (address, credentials, branch, targetDate): per address, branch main (latest) and
a second branch read at a fixed targetDate, all with one credentials Secret; the syncs are spread
evenly over the groups and use ${r.discovery} discovery. Per poll interval, all syncs together:

| per poll interval | previous (${stamp(prev)}) | this run (${stamp(run)}) | target |
|---|---|---|---|
${row("Infrahub requests (counted by the simulators)", "infrahubRequests", `≤ ${r.groups}`)}
${row("API-server reads: GET and LIST (API server's audit log)", "apiReads", "0")}
${row("API-server writes (audit log)", "apiWrites", "0")}
${row("artifact downloads", "downloads", "0")}
${row("Infrahub logins", "logins", "0")}
${row("leader election's Lease GET + update (not counted above)", "leaseRequests", "")}
${row("operator's GET /readyz, its outage probe (not counted above)", "healthProbes", "")}
${row("cross-check, operator's own counter: reads", "counterReads", "")}
${row("cross-check, operator's own counter: writes", "counterWrites", "")}

Reads and writes are counted by the API server: its audit log (a policy recording the metadata
of every request but watches) names each request's User-Agent, so the operator's requests are
told from the harness's and the control plane's; \`apiserver_request_total\` on the server's
/metrics has no per-client label. The operator's own counter (\`vidra_kube_requests_total\`) sees
only its own client, not Pepr's, and is shown as a check. This run's audited requests per
interval: ${breakdown || "none"}.

Reproduce: \`npm run bench -- --only scale-steady\` (about ${took(run)}).`;
}

function convergeCell(r: ScaleConvergeResult | undefined): string {
  if (!r) return "–";
  if (r.convergeMs !== undefined) return minutes(r.convergeMs);
  return `did not converge in ${r.capMinutes} min (${r.readyAtEnd} of ${r.syncs} Ready)`;
}

function convergeBlock(
  run: Recorded<ScaleConvergeResult>,
  prev: Recorded<ScaleConvergeResult> | undefined,
): string {
  const r = run.result;
  const p = prev?.result;
  const mib = (v: number | undefined) => (v === undefined ? "–" : `${v.toFixed(0)} MiB`);
  const pct = (v: number | undefined) => (v === undefined ? "–" : `${v.toFixed(1)} %`);
  const flags = (x: ScaleConvergeResult | undefined) =>
    !x ? "–" : x.nodeFlags?.length ? x.nodeFlags.map(f => `\`${f}\``).join(" ") : "Node's defaults";
  const windows = (a: ScaleConvergeResult | undefined, b: ScaleConvergeResult) =>
    a && a.steady.windowSeconds !== b.steady.windowSeconds
      ? `${a.steady.windowSeconds} s before, ${b.steady.windowSeconds} s now`
      : `${b.steady.windowSeconds} s`;
  const steadyNote = (x: ScaleConvergeResult | undefined) =>
    x && x.convergeMs === undefined ? " (at the cap, not converged)" : "";
  const perMinute =
    r.readyByMinute.length > 1
      ? ` Ready by minute since the first was sent (– before the first count): ${r.readyByMinute.map(n => n ?? "–").join(", ")}.`
      : "";
  return `### 5b. ${r.syncs} syncs on one watcher (1 artifact, 4 objects each, ${r.pollSeconds} s poll)

| | previous (${stamp(prev)}) | this run (${stamp(run)}) | target |
|---|---|---|---|
| sending the ${r.syncs} InfrahubSyncs (parallel server-side applies) | ${p ? ms(p.createMs) : "–"} | ${ms(r.createMs)} | |
| converge: first sent → all Ready | ${convergeCell(p)} | ${convergeCell(r)} | |
| module RSS, max over the whole run | ${mib(p?.rssMaxMiB)} | ${mib(r.rssMaxMiB)} | ≤ 300 MiB |
| module RSS, max at steady state (over ${windows(p, r)}) | ${mib(p?.steady.rssMiB)}${steadyNote(p)} | ${mib(r.steady.rssMiB)}${steadyNote(r)} | ≤ 300 MiB |
| module CPU at steady state, average over the same window (share of one core) | ${pct(p?.steady.cpuPercent)} | ${pct(r.steady.cpuPercent)} | |
| module Node.js options (hack/node-flags.ts) | ${flags(p)} | ${flags(r)} | |
| etcd + kube-apiserver RSS, max over the run | ${mib(p?.clusterRssMaxMiB)} | ${mib(r.clusterRssMaxMiB)} | |

The syncs use ${r.discovery} discovery, each with its own artifact; the wait for Ready is capped
at ${r.capMinutes} min and a run that hits the cap says so.${perMinute}

Reproduce: \`npm run bench -- --only scale-converge\` (about ${took(run)}).`;
}

function failoverBlock(
  run: Recorded<FailoverResult>,
  prev: Recorded<FailoverResult> | undefined,
): string {
  const r = run.result;
  const p = prev?.result;
  const cell = (x: FailoverResult | undefined, key: keyof FailoverResult["median"]) =>
    x
      ? `${ms(x.median[key])} (max ${ms(x.max[key])}, ${x.runs.length} run${x.runs.length === 1 ? "" : "s"})`
      : "–";
  return `### 5c. Leader failover: the leader killed (SIGKILL) in the middle of a ${r.objects}-object apply

Two operator processes against one cluster, lease duration ${r.leaseDurationSeconds} s (client-go's
defaults: renew deadline 10 s, retry every 2 s); a fresh standby is started before each next run.

| kill → | previous median (${stamp(prev)}) | this run median (${stamp(run)}) |
|---|---|---|
| the standby holds the Lease (its acquireTime) | ${cell(p, "takeoverMs")} | ${cell(r, "takeoverMs")} |
| the new leader's first write (audit log) | ${cell(p, "firstWriteMs")} | ${cell(r, "firstWriteMs")} |
| the interrupted apply finished (every object at the new version) | ${cell(p, "finishedMs")} | ${cell(r, "finishedMs")} |

A standby takes the Lease once it has seen no renewal for the lease duration, counted from when
it last saw the Lease change (renewals come every retry period) and checked every retry period:
with the defaults, about 13 to 19 s after the kill. This run's runs (kill → first write):
${r.runs.map(x => ms(x.firstWriteMs)).join(", ")}.

Reproduce: \`npm run bench -- --only failover\` (about ${took(run)}).`;
}

/** The sizes a baseline must share with a run to stand beside it (a --quick run's do not). */
function sameSize(part: ScalePart, a: unknown, b: unknown): boolean {
  const keys: Record<ScalePart, string[]> = {
    "scale-steady": ["syncs", "addresses", "intervals", "pollSeconds", "discovery"],
    "scale-converge": ["syncs", "pollSeconds", "discovery", "capMinutes"],
    failover: ["objects", "leaseDurationSeconds"],
  };
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  return keys[part].every(k => x[k] === y[k]);
}

/** The markdown block of one part, between its markers. */
export function scaleBlock(part: ScalePart, run: Recorded<unknown>, base: Baselines): string {
  const recorded = base[part];
  const prev = recorded && sameSize(part, recorded.result, run.result) ? recorded : undefined;
  const body =
    part === "scale-steady"
      ? steadyBlock(run as Recorded<ScaleSteadyResult>, prev as Baselines["scale-steady"])
      : part === "scale-converge"
        ? convergeBlock(run as Recorded<ScaleConvergeResult>, prev as Baselines["scale-converge"])
        : failoverBlock(run as Recorded<FailoverResult>, prev as Baselines["failover"]);
  return `<!-- bench:${part} -->\n${body}\n<!-- /bench:${part} -->`;
}

/**
 * BENCHMARKS.md with one part's block replaced, or added in the scale-out section (which is
 * created before "## Reproduce" when missing), in the parts' order.
 */
export function withScaleBlock(text: string, part: ScalePart, block: string): string {
  const open = `<!-- bench:${part} -->`;
  const close = `<!-- /bench:${part} -->`;
  const start = text.indexOf(open);
  if (start >= 0) {
    const end = text.indexOf(close, start);
    if (end < 0) throw new Error(`BENCHMARKS.md: ${open} has no ${close}`);
    return text.slice(0, start) + block + text.slice(end + close.length);
  }
  let out = text;
  if (!out.includes(HEADING)) {
    const reproduce = out.indexOf("## Reproduce");
    const at = reproduce < 0 ? out.length : reproduce;
    out = `${out.slice(0, at).trimEnd()}\n\n${INTRO}\n\n${out.slice(at)}`;
  }
  // Before the first later part present, else at the end of the section.
  const later = SCALE_PARTS.slice(SCALE_PARTS.indexOf(part) + 1)
    .map(p => out.indexOf(`<!-- bench:${p} -->`))
    .filter(i => i >= 0);
  const sectionEnd = (() => {
    const next = out.indexOf("\n## ", out.indexOf(HEADING) + HEADING.length);
    return next < 0 ? out.length : next + 1;
  })();
  const at = later.length ? Math.min(...later) : sectionEnd;
  const before = out.slice(0, at).trimEnd();
  return `${before}\n\n${block}\n\n${out.slice(at).trimStart()}`;
}
