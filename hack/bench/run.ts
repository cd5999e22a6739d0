/**
 * `npm run bench`: the benchmarks in one run, on the local control plane and the Infrahub
 * simulator, written to BENCHMARKS.md (and printed). `npm run bench -- --quick` is a smaller smoke
 * run that writes nothing. `npm run bench -- --only push` measures push propagation alone, updates
 * its row in BENCHMARKS.md (keeping the others) and ends with `push: p50 … ms, p95 … ms, max … ms`.
 * `--only scale-steady|scale-converge|failover|scale` runs the scale-out parts (all three for
 * `scale`) and replaces their blocks; `--record-baseline` also keeps their results in
 * hack/bench/baselines.json, the "previous" column of later runs.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { benchBulkApply, type BulkResult } from "./bulk-apply";
import { startBenchEnv } from "./env";
import { benchPropagation, type PropagationResult } from "./propagation";
import { benchPush, pushLine, type PushResult } from "./push";
import { pushNote, pushRow, withPushRow } from "./push-report";
import { sampleResources, type ResourceSample } from "./resources";
import { benchSteadyState, createSyncs, type SteadyResult } from "./steady-state";
import { benchFailover } from "./failover";
import { benchScaleConverge } from "./scale-converge";
import {
  readBaselines,
  recordBaseline,
  SCALE_PARTS,
  scaleBlock,
  withScaleBlock,
  type Recorded,
  type ScalePart,
} from "./scale-report";
import { benchScaleSteady } from "./scale-steady";
import { abSectionOf, withAbSection } from "./ab-section";
import { median, ms } from "./stats";

const root = resolve(__dirname, "..", "..");

interface Plan {
  bulkObjects: number;
  bulkRuns: number;
  changes: number;
  propagationPollSeconds: number;
  steadySyncs: number;
  steadyIntervals: number;
  steadyPollSeconds: number;
  bigSyncs: number;
  resourceWindowSeconds: number;
  /** Scale out (section 5): steady state over several Infrahub addresses. */
  scaleSyncs: number;
  scaleAddresses: number;
  scaleIntervals: number;
  scalePollSeconds: number;
  /** Scale out: many syncs created at once on one watcher. */
  manySyncs: number;
  manyPollSeconds: number;
  manyCapMinutes: number;
  manyWindowSeconds: number;
  failoverRuns: number;
}

const FULL: Plan = {
  bulkObjects: 1000,
  bulkRuns: 3,
  changes: 50,
  propagationPollSeconds: 2,
  steadySyncs: 100,
  steadyIntervals: 10,
  steadyPollSeconds: 5,
  bigSyncs: 500,
  resourceWindowSeconds: 30,
  scaleSyncs: 100,
  scaleAddresses: 5,
  scaleIntervals: 10,
  scalePollSeconds: 5,
  manySyncs: 5000,
  manyPollSeconds: 30,
  manyCapMinutes: 20,
  // One re-apply period (requeueResourcesAfter's default, 10m): every VidraResource is re-applied
  // once inside the window, so its RSS and CPU are the steady state's, waves included.
  manyWindowSeconds: 600,
  failoverRuns: 5,
};

const QUICK: Plan = {
  bulkObjects: 200,
  bulkRuns: 1,
  changes: 5,
  propagationPollSeconds: 2,
  steadySyncs: 10,
  steadyIntervals: 2,
  steadyPollSeconds: 3,
  bigSyncs: 20,
  resourceWindowSeconds: 5,
  scaleSyncs: 20,
  scaleAddresses: 5,
  scaleIntervals: 2,
  scalePollSeconds: 3,
  manySyncs: 50,
  manyPollSeconds: 10,
  manyCapMinutes: 5,
  manyWindowSeconds: 5,
  failoverRuns: 1,
};

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "unknown";
  }
}

function machine(): string {
  return [
    `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    `Node ${process.version}, ${sh("kubectl", ["version", "--client", "-o", "json"]).match(/"gitVersion":\s*"([^"]+)"/)?.[1] ?? "kubectl ?"}`,
    `kube-apiserver v1.36.3 + etcd v3.6.8 (local control plane, loopback)`,
    `commit ${sh("git", ["-C", root, "rev-parse", "--short", "HEAD"])}`,
  ].join("; ");
}

/** Section 1 of BENCHMARKS.md (the bulk apply), also rewritten alone by `--only bulk`. */
function bulkSection(bulk: BulkResult, stamp?: string): string {
  return `## 1. A ${bulk.objects}-object artifact into an empty namespace

| | median | runs |
|---|---|---|
| \`kubectl apply --server-side -f\` (the same ${bulk.objects} objects) | ${ms(median(bulk.kubectlMs))} | ${bulk.kubectlMs.map(ms).join(", ")} |
| operator: \`kubectl apply\` of the InfrahubSync → Ready | ${ms(median(bulk.operatorMs))} | ${bulk.operatorMs.map(ms).join(", ")} |
| physical limit: the same ${bulk.objects} server-side applies sent raw, 16 in flight, no dry-run | ${ms(median(bulk.rawMs))} | ${bulk.rawMs.map(ms).join(", ")} |
| validate-then-apply limit: the same, each object first sent as a raw server-side dry-run, all dry-runs before any apply | ${ms(median(bulk.rawValidatedMs))} | ${bulk.rawValidatedMs.map(ms).join(", ")} |
| the operator's apply engine alone: the same objects through its ResourceManager in the bench process (no module, Infrahub, VidraResource or status) | ${ms(median(bulk.engineMs))} | ${bulk.engineMs.map(ms).join(", ")} |
| **ratio operator / kubectl** | **${bulk.ratio.toFixed(2)}** (target ≤ 0.5) | |
| **ratio operator / physical limit** | **${bulk.limitRatio.toFixed(2)}** | |
| **ratio operator / validate-then-apply limit** | **${bulk.validatedLimitRatio.toFixed(2)}** | |
| ratio engine alone / kubectl | ${bulk.engineRatio.toFixed(3)} | |

Where the operator's time goes (median run): the InfrahubSync reconcile (GraphQL lookup, download
and parse of the ${bulk.objects}-document artifact, storing it as a VidraResource) took
${ms(bulk.phases.syncReconcileMs)}; the VidraResource reconcile (discovery, one LIST per resource
type, a server-side dry-run of every object, then the server-side apply of every object, 16 at a
time, CRDs and Namespaces first) took ${ms(bulk.phases.vidraResourceReconcileMs)}; the rest is
watch-event latency and status writes. kubectl sends the objects one at a time and waits for each
answer (about 50 ms per server-side apply on this machine, measured with \`kubectl -v=6\`: one PATCH
per object, no client-side throttling); the operator sends twice as many requests (a dry-run and an
apply per object) but keeps 16 in flight over keep-alive connections, which is where the
difference is. The physical limit (hack/bench/raw-apply.ts) is what this machine allows at all:
the same applies with plain node:https, no dry-run, no discovery, no status, nothing else. The
validate-then-apply limit adds what the operator's safety rule costs at least: it never applies
half a bundle the API server would refuse, so every object is dry-run before the first is applied.
The engine alone row is that rule as the operator implements it (discovery, the Namespace first,
one LIST per type, dry-runs, then applies rank by rank), without the module around it: the
operator's time above it is the artifact's lookup and download, the VidraResource that holds it,
the inventory written before the first apply, the status, and the module's own work.${stamp ? `\n\n(${stamp})` : ""}
`;
}

/** Replaces section 1 of BENCHMARKS.md, keeping the others. */
function withBulkSection(text: string, section: string): string {
  const start = text.indexOf("## 1. ");
  const end = text.indexOf("## 2. ");
  if (start < 0 || end < start) throw new Error("BENCHMARKS.md has no section 1 to replace");
  return `${text.slice(0, start)}${section}\n${text.slice(end)}`;
}

function report(
  plan: Plan,
  r: {
    bulk: BulkResult;
    prop: PropagationResult;
    push: PushResult;
    steady: SteadyResult;
    small: ResourceSample;
    big: ResourceSample;
  },
  started: Date,
  seconds: number,
): string {
  const { bulk, prop, push, steady, small, big } = r;
  const pi = steady.perInterval;
  const v = steady.vidra;
  const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? "1" : "∞") : (a / b).toFixed(2));
  return `# Benchmarks

Measured by \`npm run bench\` (${Math.round(seconds / 60)} min) on ${started.toISOString().slice(0, 10)}: ${machine()}.
The operator runs as the built Pepr module in dev mode (one process); Infrahub is the project's
simulator; every number below comes from the same run. The machine is shared and noisy: compare
the ratios, not the absolute times, between runs.

${bulkSection(bulk)}
## 2. Steady state: ${steady.syncs} syncs, unchanged artifacts, ${steady.intervals} poll intervals of ${steady.pollSeconds} s

Per poll interval (all ${steady.syncs} syncs together):

| | operator (measured) | Vidra's loop (from its design) | ratio |
|---|---|---|---|
| API-server writes | ${pi.apiWrites} (target 0) | ${v.apiWrites} (Running + Succeeded status per sync) | ${ratio(pi.apiWrites, v.apiWrites)} |
| artifact downloads | ${pi.downloads} (target 0) | ${v.downloads} (checksums never written) | ${ratio(pi.downloads, v.downloads)} |
| Infrahub requests | ${pi.infrahubRequests} (target ≤ ${steady.syncs}) | ${v.infrahubRequests} (login + query + download) | ${ratio(pi.infrahubRequests, v.infrahubRequests)} |
| Infrahub logins | ${pi.logins} | ${v.logins} | ${ratio(pi.logins, v.logins)} |
| API-server reads (LIST/GET) | ${pi.apiReads} | ${steady.syncs} (CreateOrUpdate GET) | |

Each poll is one GraphQL request; an unchanged checksum stops there: no download, no write. The
reads, three per sync and poll, are the sync itself, its credentials Secret (so a rotated password
is used at once) and the list of its VidraResources, to compare checksums.

## 3. Change propagation (${prop.changes} changes)

| | p50 | p95 | max |
|---|---|---|---|
| artifact changed → object updated, polling every ${prop.pollSeconds} s | ${ms(prop.polled.p50)} | ${ms(prop.polled.p95)} | ${ms(prop.polled.max)} |
| the same, triggered by the sync-now annotation (no poll wait) | ${ms(prop.triggered.p50)} | ${ms(prop.triggered.p95)} | ${ms(prop.triggered.max)} |
${pushRow(push)}

Changes are made at random moments within the poll interval. With polling, a change waits on
average half a poll interval before it is seen; the triggered
row is the operator's own part (lookup, download, VidraResource update, dry-run and apply). Vidra
polls every minute by default, so its median would be about 30 s plus its own work.

${pushNote(push)}

## 4. Controller memory and CPU

| syncs (1 artifact, 4 objects each) | RSS (max over ${big.windowSeconds} s) | CPU (share of one core) |
|---|---|---|
| ${small.syncs} | ${small.rssMiB.toFixed(0)} MiB | ${small.cpuPercent.toFixed(1)} % |
| ${big.syncs} | ${big.rssMiB.toFixed(0)} MiB | ${big.cpuPercent.toFixed(1)} % |
| ratio | ${(big.rssMiB / small.rssMiB).toFixed(2)} | ${(big.cpuPercent / Math.max(0.1, small.cpuPercent)).toFixed(2)} |

Both measured at steady state with a ${steady.pollSeconds} s poll interval (so ${small.syncs / steady.pollSeconds} and
${big.syncs / steady.pollSeconds} polls per second); the module process includes Pepr's admission server and
its watches. Vidra's controller-runtime default limits were 500m CPU / 128Mi.

## Reproduce

\`\`\`bash
npm ci && npm run bench          # about ${Math.round(seconds / 60)} minutes; rewrites BENCHMARKS.md
npm run bench -- --quick         # a small smoke run; prints, writes nothing
npm run bench -- --only push     # push propagation alone; updates its row here
npm run bench -- --only bulk     # the bulk apply (section 1) alone; updates it here
npm run bench:ab -- <commit> --write   # section 6: the bulk apply against an earlier commit, in turns
npm run bench -- --only scale    # section 5 alone (or scale-steady, scale-converge, failover)
npm run bench -- --only scale --record-baseline   # the same, and keeps the results as the next "previous"
\`\`\`

Plan of this run: ${JSON.stringify(plan)}
`;
}

async function onlyPush(changes: number): Promise<void> {
  const started = new Date();
  const env = await startBenchEnv();
  let result: PushResult;
  try {
    console.log(`bench: push propagation, ${changes} changes`);
    result = await benchPush(env, changes);
  } finally {
    await env.stop();
  }
  const file = join(root, "BENCHMARKS.md");
  const stamp = `measured alone by \`npm run bench -- --only push\` on ${started.toISOString().slice(0, 10)}: ${machine()}`;
  writeFileSync(file, withPushRow(readFileSync(file, "utf8"), result, stamp));
  console.log(`wrote the push row to ${file}`);
  console.log(pushLine(result));
}

async function onlyBulk(plan: Plan, write: boolean): Promise<void> {
  const started = new Date();
  const env = await startBenchEnv();
  let bulk: BulkResult;
  try {
    console.log(`bench: bulk apply of ${plan.bulkObjects} objects × ${plan.bulkRuns}`);
    bulk = await benchBulkApply(env, plan.bulkObjects, plan.bulkRuns);
  } finally {
    await env.stop();
  }
  const stamp = `measured alone by \`npm run bench -- --only bulk\` on ${started.toISOString().slice(0, 10)}: ${machine()}`;
  const section = bulkSection(bulk, stamp);
  console.log(section);
  const file = join(root, "BENCHMARKS.md");
  if (write) {
    writeFileSync(file, withBulkSection(readFileSync(file, "utf8"), section));
    console.log(`wrote section 1 to ${file}`);
  }
  console.log(
    `bulk: operator ${ms(median(bulk.operatorMs))}, kubectl ${ms(median(bulk.kubectlMs))}, limit ${ms(median(bulk.rawMs))}, validate-then-apply limit ${ms(median(bulk.rawValidatedMs))}, engine alone ${ms(median(bulk.engineMs))}; ratio ${bulk.ratio.toFixed(2)}, to the limits ${bulk.limitRatio.toFixed(2)} and ${bulk.validatedLimitRatio.toFixed(2)}`,
  );
}

/**
 * The commit of the code measured: the last one that changed anything but the benchmarks and
 * their results (so a baseline keeps naming the operator's code after this branch is rebased),
 * marked when the work tree holds uncommitted changes to that code.
 */
function measuredCommit(): string {
  const paths = [".", ":(exclude)hack/bench", ":(exclude)BENCHMARKS.md"];
  const commit = sh("git", ["-C", root, "log", "-1", "--format=%h", "--", ...paths]);
  const dirty = sh("git", ["-C", root, "status", "--porcelain", "--", ...paths]);
  return dirty && dirty !== "unknown" ? `${commit} + uncommitted changes` : commit;
}

/** One scale-out part, measured with where and when. */
async function measureScalePart(part: ScalePart, plan: Plan): Promise<Recorded<unknown>> {
  const load = loadavg()
    .map(v => v.toFixed(2))
    .join(", ");
  const started = new Date();
  console.log(`bench: ${part} (load ${load})`);
  const result =
    part === "scale-steady"
      ? await benchScaleSteady({
          syncs: plan.scaleSyncs,
          addresses: plan.scaleAddresses,
          intervals: plan.scaleIntervals,
          pollSeconds: plan.scalePollSeconds,
          discovery: "GraphQL",
        })
      : part === "scale-converge"
        ? await benchScaleConverge({
            syncs: plan.manySyncs,
            pollSeconds: plan.manyPollSeconds,
            discovery: "GraphQL",
            capMinutes: plan.manyCapMinutes,
            windowSeconds: plan.manyWindowSeconds,
            createConcurrency: 16,
          })
        : await benchFailover(plan.failoverRuns);
  const recorded: Recorded<unknown> = {
    commit: measuredCommit(),
    date: started.toISOString().slice(0, 16).replace("T", " ") + " UTC",
    load,
    seconds: Math.round((Date.now() - started.getTime()) / 1000),
    result,
  };
  console.log(`bench: ${part}: ${JSON.stringify(recorded)}`);
  return recorded;
}

/**
 * Runs scale-out parts and returns `text` with their blocks in it; with `record`, keeps each
 * result as its part's baseline (after rendering, so the block shows the baseline it replaced).
 */
async function scaleParts(
  parts: ScalePart[],
  plan: Plan,
  text: string,
  record: boolean,
): Promise<string> {
  const baselines = readBaselines();
  let out = text;
  for (const part of parts) {
    const run = await measureScalePart(part, plan);
    const block = scaleBlock(part, run, baselines);
    console.log(block);
    out = withScaleBlock(out, part, block);
    if (record) recordBaseline(part, run as never);
  }
  return out;
}

/**
 * `--syncs N` and `--cap-minutes M` size the scale-converge part (a smaller reproduction than the
 * 5,000 of the full plan); a run with either writes neither BENCHMARKS.md nor a baseline.
 */
function withSizeOptions(plan: Plan): Plan {
  const option = (name: string): number | undefined => {
    const i = process.argv.indexOf(name);
    if (i < 0) return undefined;
    const n = Number(process.argv[i + 1]);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`${name} takes a positive whole number, not ${process.argv[i + 1]}`);
    return n;
  };
  const syncs = option("--syncs");
  const cap = option("--cap-minutes");
  return {
    ...plan,
    manySyncs: syncs ?? plan.manySyncs,
    manyCapMinutes: cap ?? plan.manyCapMinutes,
  };
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const sized = process.argv.includes("--syncs") || process.argv.includes("--cap-minutes");
  const record = process.argv.includes("--record-baseline") && !quick && !sized;
  const plan = withSizeOptions(quick ? QUICK : FULL);
  const only = process.argv.indexOf("--only");
  if (only >= 0) {
    const what = process.argv[only + 1];
    if (what === "push") return onlyPush(plan.changes);
    if (what === "bulk") return onlyBulk(plan, !quick);
    const parts = what === "scale" ? SCALE_PARTS : SCALE_PARTS.filter(p => p === what);
    if (!parts.length)
      throw new Error(
        `--only takes push, bulk, scale, ${SCALE_PARTS.join(", ")}; not ${JSON.stringify(what)}`,
      );
    const file = join(root, "BENCHMARKS.md");
    const text = await scaleParts(parts, plan, readFileSync(file, "utf8"), record);
    if (!quick && !sized) {
      writeFileSync(file, text);
      console.log(`wrote ${parts.join(", ")} to ${file}`);
    }
    return;
  }
  const started = new Date();
  const env = await startBenchEnv();
  let text: string;
  let push: PushResult;
  try {
    const pid = env.env.module.pid;
    if (!pid) throw new Error("the module process has no pid");
    console.log(`bench: bulk apply of ${plan.bulkObjects} objects × ${plan.bulkRuns}`);
    const bulk = await benchBulkApply(env, plan.bulkObjects, plan.bulkRuns);
    console.log(`bench: propagation, ${plan.changes} changes`);
    const prop = await benchPropagation(env, plan.changes, plan.propagationPollSeconds);
    console.log(`bench: push propagation, ${plan.changes} changes`);
    push = await benchPush(env, plan.changes);
    console.log(`bench: steady state, ${plan.steadySyncs} syncs`);
    const steady = await benchSteadyState(
      env,
      plan.steadySyncs,
      plan.steadyIntervals,
      plan.steadyPollSeconds,
    );
    const small = await sampleResources(pid, plan.steadySyncs, plan.resourceWindowSeconds);
    console.log(`bench: growing to ${plan.bigSyncs} syncs`);
    await createSyncs(
      env,
      plan.steadySyncs + 1,
      plan.bigSyncs - plan.steadySyncs,
      plan.steadyPollSeconds,
    );
    await new Promise(r => setTimeout(r, plan.steadyPollSeconds * 2000));
    const big = await sampleResources(pid, plan.bigSyncs, plan.resourceWindowSeconds);
    text = report(
      plan,
      { bulk, prop, push, steady, small, big },
      started,
      (Date.now() - started.getTime()) / 1000,
    );
  } finally {
    await env.stop();
  }
  // Each scale-out part starts a cluster of its own, after the shared one is gone.
  text = await scaleParts(SCALE_PARTS, plan, text, record);
  const total = Math.round((Date.now() - started.getTime()) / 60_000);
  text = text
    .replace(
      /^Measured by `npm run bench` \(\d+ min\)/m,
      `Measured by \`npm run bench\` (${total} min)`,
    )
    .replace(/# about \d+ minutes; rewrites/, `# about ${total} minutes; rewrites`);
  console.log(text);
  const file = join(root, "BENCHMARKS.md");
  const ab = existsSync(file) ? abSectionOf(readFileSync(file, "utf8")) : undefined;
  if (ab) text = withAbSection(text, ab);
  if (!quick) writeFileSync(file, text);
  console.log(pushLine(push));
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
