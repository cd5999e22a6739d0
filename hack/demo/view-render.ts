/**
 * Turns a Snapshot into the demo's screen: a pure function of the snapshot, a few fixed facts about
 * the run, and the output's abilities (colour, width), so it is tested without a terminal.
 */
import type { ConditionView, NamespaceGroup, ObjectRow, Snapshot, SyncView } from "./snapshot";

export interface ViewContext {
  mode: "local" | "remote";
  server: string;
  kubeconfig: string;
  infrahubUrl: string;
  /** Local mode: the simulator's branches, and an artifact's current checksum and target there. */
  simulator?: {
    branches: string[];
    artifact(branch: string, artifactId: string): { checksum?: string; target: string } | undefined;
  };
  modulePort: number;
  moduleLog: string;
  /** Push sync: where Infrahub's webhooks go (local mode, unless DEMO_PUSH=0). */
  push?: { endpoint: string };
  /** Whether the admission webhooks are registered (not in remote mode). */
  admission: boolean;
  syncName: string;
  pollInterval: string;
  startedAt: Date;
  /** Lines for the "Try it" section. */
  hints: string[];
}

export interface RenderOptions {
  color: boolean;
  /** Cut lines to this many visible characters (a terminal's width). */
  width?: number;
  /** The terminal's height: the events section is left out when everything would not fit. */
  height?: number;
  /** Show ages and clocks; off for the change detection of the plain output. */
  ages: boolean;
  now: Date;
}

const ESC = "\x1b[";
const CODES = { red: "31", green: "32", yellow: "33", dim: "2", bold: "1", cyan: "36" } as const;
type Tone = keyof typeof CODES;

export function age(from: string | Date | undefined, now: Date): string {
  if (!from) return "-";
  const s = Math.max(0, Math.round((now.getTime() - new Date(from).getTime()) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ""}`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

// Matching the escape character is the point of these two.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
// eslint-disable-next-line no-control-regex
const ANSI_AT_START = /^\x1b\[[0-9;?]*[A-Za-z]/;

function visibleLength(s: string): number {
  return s.replace(ANSI, "").length;
}

function pad(s: string, n: number): string {
  const len = visibleLength(s);
  return len >= n ? s : s + " ".repeat(n - len);
}

/** Columns padded to their widest cell, two spaces apart. */
function table(rows: string[][], indent = "  "): string[] {
  const widths: number[] = [];
  for (const r of rows)
    r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(c))));
  return rows.map(r =>
    (indent + r.map((c, i) => (i === r.length - 1 ? c : pad(c, widths[i]))).join("  ")).trimEnd(),
  );
}

/** Cuts a line to `width` visible characters (the last one "…"), keeping ANSI sequences intact. */
export function truncateAnsi(line: string, width: number): string {
  if (visibleLength(line) <= width) return line;
  let out = "";
  let visible = 0;
  for (let i = 0; i < line.length && visible < width - 1; ) {
    const m = ANSI_AT_START.exec(line.slice(i));
    if (m) {
      out += m[0];
      i += m[0].length;
      continue;
    }
    out += line[i];
    visible++;
    i++;
  }
  return `${out}…${line.includes("\x1b[") ? `${ESC}0m` : ""}`;
}

/** " by push (webhook 5f0c2b2e, fetched 212 ms after it arrived)", " by poll", ... */
export function changedBy(sync: SyncView): string {
  const w = sync.lastWebhook;
  switch (sync.lastSyncTrigger) {
    case "Webhook": {
      const ms =
        w?.receivedAt && w.fetchedAt
          ? `, fetched ${Math.max(0, new Date(w.fetchedAt).getTime() - new Date(w.receivedAt).getTime())} ms after it arrived`
          : "";
      return ` by push (webhook ${w?.eventId.slice(0, 8) ?? "?"}${ms})`;
    }
    case "Poll":
      return " by poll";
    case "SyncNow":
      return " by a sync-now request";
    case "Retry":
      return " by a retry";
    case "Spec":
      return " by the first sync of this spec";
    default:
      return "";
  }
}

export function renderView(s: Snapshot, ctx: ViewContext, opts: RenderOptions): string[] {
  const paint = (tone: Tone, text: string): string =>
    opts.color ? `${ESC}${CODES[tone]}m${text}${ESC}0m` : text;
  const tone = (word: string): string => {
    if (["True", "Succeeded", "Normal", "Active"].includes(word)) return paint("green", word);
    if (["False", "Failed", "Warning"].includes(word)) return paint("red", word);
    if (["Unknown", "Running", "Pending", "Stale"].includes(word)) return paint("yellow", word);
    return word;
  };
  const condTone = (c: ConditionView): string =>
    c.type === "Ready"
      ? tone(c.status)
      : c.status === "True"
        ? paint(c.type === "Stalled" ? "red" : "yellow", c.status)
        : paint("dim", c.status);
  const lines: string[] = [];
  const events: string[] = [];
  const clock = opts.ages
    ? `  ${opts.now.toTimeString().slice(0, 8)}  up ${age(ctx.startedAt, opts.now)}`
    : "";
  lines.push(
    paint(
      "bold",
      `Vidra for Pepr · demo (${ctx.mode === "local" ? "local cluster + Infrahub simulator" : "your cluster + your Infrahub"})`,
    ) + clock,
  );
  lines.push(`cluster   ${ctx.server}   kubeconfig ${ctx.kubeconfig}`);
  const branches = ctx.simulator
    ? ` (simulator; branches: ${ctx.simulator.branches.join(", ")})`
    : "";
  lines.push(`infrahub  ${ctx.infrahubUrl}${branches}`);
  const admission = ctx.admission
    ? "admission webhooks registered"
    : paint(
        "yellow",
        "admission NOT enforced in this mode (no webhooks; deploy with `npx pepr deploy` for that)",
      );
  lines.push(`operator  Pepr dev mode on 127.0.0.1:${ctx.modulePort}, ${admission}`);
  lines.push(paint("dim", `          log ${ctx.moduleLog}`));
  lines.push(
    ctx.push
      ? `push      Infrahub webhooks → ${ctx.push.endpoint}`
      : paint("dim", "push      off: changes arrive by polling"),
  );
  lines.push("");
  if (s.error) {
    lines.push(paint("red", `cannot read the cluster: ${s.error}`), "");
  } else {
    if (!s.syncs.some(x => x.name === ctx.syncName)) {
      lines.push(paint("dim", `InfrahubSync ${ctx.syncName}: not in the cluster`));
    }
    for (const sync of s.syncs)
      lines.push(...syncLines(sync, s, ctx, opts, paint, tone, condTone), "");
    const orphans = s.resources.filter(r => !r.sync || !s.syncs.some(x => x.name === r.sync));
    if (orphans.length) {
      lines.push(paint("bold", "VidraResources without an InfrahubSync"));
      lines.push(
        ...table([
          ["NAME", "STATE", "READY", "OBJECTS"],
          ...orphans.map(r => [
            r.name,
            tone(r.state),
            tone(r.ready?.status ?? "-"),
            String(r.managedCount),
          ]),
        ]),
        "",
      );
    }
    lines.push(paint("bold", "Applied objects") + paint("dim", "  (kubectl get, per namespace)"));
    if (s.objects.length === 0) lines.push(paint("dim", "  none yet"));
    for (const g of s.objects) lines.push(...groupLines(g, opts, tone));
    events.push("", paint("bold", "Recent events"));
    if (s.events.length === 0) events.push(paint("dim", "  none yet"));
    events.push(
      ...table(
        s.events.map(e => [
          ...(opts.ages ? [age(e.time, opts.now)] : []),
          tone(e.type),
          e.reason,
          e.object,
          e.count > 1 ? `${e.message} (x${e.count})` : e.message,
        ]),
      ),
    );
  }
  const hints = [
    "",
    paint("bold", "Try it") + paint("dim", "  (in another shell)"),
    ...ctx.hints.map(h => `  ${h}`),
  ];
  // On a short terminal the events give way first: the objects and what to try matter more.
  const fits = !opts.height || lines.length + events.length + hints.length <= opts.height;
  lines.push(...(fits ? events : []), ...hints);
  return opts.width ? lines.map(l => truncateAnsi(l, opts.width!)) : lines;
}

function syncLines(
  sync: SyncView,
  s: Snapshot,
  ctx: ViewContext,
  opts: RenderOptions,
  paint: (tone: Tone, text: string) => string,
  tone: (w: string) => string,
  condTone: (c: ConditionView) => string,
): string[] {
  const lines = [
    `${paint("bold", `InfrahubSync ${sync.name}`)}  ${sync.branch} / ${sync.artifact}  every ${sync.pollInterval}  state ${tone(sync.state)}` +
      (sync.current ? "" : paint("yellow", "  (spec changed, not yet reconciled)")),
  ];
  const conds = sync.conditions.length
    ? sync.conditions
    : [
        {
          type: "Ready",
          status: "Unknown",
          reason: "Waiting",
          message: "the operator has not reported yet",
        },
      ];
  lines.push(...table(conds.map(c => [c.type, condTone(c), c.reason, c.message])));
  if (!opts.ages && sync.lastSyncTime && sync.lastSyncTrigger)
    lines.push(paint("dim", `  last change${changedBy(sync)}`));
  if (opts.ages && sync.lastSyncTime) {
    // The operator writes status only when something changed, so this is the last change, not the last poll.
    const next = sync.nextSyncTime
      ? ` · next poll in ${age(opts.now, new Date(sync.nextSyncTime))}`
      : ` · polls every ${sync.pollInterval}, writing nothing when nothing changed`;
    lines.push(
      paint(
        "dim",
        `  last change ${age(sync.lastSyncTime, opts.now)} ago${changedBy(sync)}${next}`,
      ),
    );
  }
  if (sync.lastError) lines.push(paint("red", `  last error: ${sync.lastError}`));
  if (sync.artifacts.length) {
    const rows = sync.artifacts.map(a => {
      const vr = s.resources.find(r => r.name === a.vidraResource);
      const inInfrahub =
        ctx.simulator && sync.url === ctx.infrahubUrl
          ? ctx.simulator.artifact(sync.branch, a.id)
          : undefined;
      const latest = inInfrahub?.checksum;
      const note =
        latest && latest !== a.checksum
          ? paint(
              "yellow",
              ctx.push
                ? "changed in Infrahub, the webhook brings it"
                : "changed in Infrahub, next poll applies it",
            )
          : a.message || (vr?.conflicts.length ? vr.conflicts.join("; ") : "");
      return [
        a.target || vr?.target || inInfrahub?.target || "-",
        a.checksum.slice(0, 8) || "-",
        a.vidraResource || "-",
        tone(vr?.state ?? "-"),
        tone(vr?.ready?.status ?? "-"),
        String(vr?.managedCount ?? 0),
        note,
      ];
    });
    lines.push(
      ...table([["TARGET", "CHECKSUM", "VIDRARESOURCE", "STATE", "READY", "OBJECTS", ""], ...rows]),
    );
  }
  return lines;
}

/** One namespace: its Namespace object (when managed) as the heading, then the objects in it. */
function groupLines(g: NamespaceGroup, opts: RenderOptions, tone: (w: string) => string): string[] {
  const cells = (r: ObjectRow): string =>
    r.cells
      .filter(([col]) => opts.ages || col !== "AGE")
      .map(([col, v]) => `${col} ${col === "STATUS" ? tone(v) : v}`)
      .join("   ");
  const own = g.rows.find(r => r.ref === `namespace/${g.namespace}`);
  const heading = own
    ? `  ${own.ref}   ${cells(own)}`
    : `  ${g.namespace ? `namespace/${g.namespace}` : "(cluster-scoped)"}`;
  return [
    heading,
    ...table(
      g.rows.filter(r => r !== own).map(r => [r.ref, cells(r)]),
      "    ",
    ),
  ];
}
