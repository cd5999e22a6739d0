import type { PrunePreview } from "../../apply/preview";
import type { KubeObject } from "../../kube/client";
import type { ObjectRef } from "../../manifest/types";
import { objectDiff } from "./object-diff";
import type { OwnerDiff } from "./owner-diff";

export interface DiffTotals {
  create: number;
  configure: number;
  prune: number;
  unchanged: number;
  problems: number;
}

/** kubectl diff's file name for an object: group.version.Kind.namespace.name */
function fileName(ref: ObjectRef): string {
  return [ref.apiVersion.replace("/", "."), ref.kind, ref.namespace, ref.name]
    .filter(Boolean)
    .join(".");
}

const PRUNE_VERB: Record<PrunePreview["action"], string> = {
  delete: "pruned (deleted)",
  release: "pruned (released)",
  orphan: "orphaned",
  skip: "left alone",
};

/**
 * One VidraResource's section: a heading, one line per object that changes (+ created,
 * ~ configured, - pruned, ! cannot be applied), the count of unchanged objects, then a unified
 * diff per created or configured object, Secret values masked.
 */
export function renderOwner(d: OwnerDiff, totals: DiffTotals): string[] {
  const out = [`VidraResource ${d.owner} (${d.source}) → ${d.destination}`];
  for (const n of d.notes) out.push(`  note: ${n}`);
  if (d.error) {
    totals.problems++;
    out.push(`  ! ${d.error}`);
    return out;
  }
  const diffs: string[] = [];
  let unchanged = 0;
  const withNote = (line: string, note?: string) => (note ? `${line}: ${note}` : line);
  for (const o of d.objects) {
    if (o.action === "unchanged") unchanged++;
    else if (o.action === "skip") out.push(`  = ${o.subject} skipped: ${o.message}`);
    else if (o.action === "problem") {
      totals.problems++;
      out.push(`  ! ${o.subject} cannot be applied: ${o.problem.message}`);
    } else {
      const created = o.action === "create";
      if (created) totals.create++;
      else totals.configure++;
      out.push(
        withNote(
          `  ${created ? "+" : "~"} ${o.subject} ${created ? "created" : "configured"}`,
          o.note,
        ),
      );
      const after: KubeObject = o.dry ?? o.desired;
      const text = objectDiff(fileName(o.ref), o.live, after);
      if (text) diffs.push(text);
    }
  }
  for (const p of d.prune) {
    if (p.action === "skip") {
      out.push(`  = ${p.subject} not pruned: ${p.message}`);
      continue;
    }
    totals.prune++;
    out.push(
      `  - ${p.subject} ${PRUNE_VERB[p.action]}${p.action === "release" ? `: ${p.message}` : ""}`,
    );
    if (p.action === "delete") diffs.push(objectDiff(fileName(p.ref), p.live, undefined));
  }
  totals.unchanged += unchanged;
  if (unchanged) out.push(`  ${unchanged} unchanged`);
  if (d.objects.length === 0 && d.prune.length === 0) out.push("  nothing to apply");
  return [...out, ...diffs.filter(Boolean).map(t => t.replace(/\n$/, ""))];
}

export function summary(t: DiffTotals): string {
  const parts = [
    `${t.create} to create`,
    `${t.configure} to change`,
    `${t.prune} to prune`,
    `${t.unchanged} unchanged`,
  ];
  if (t.problems) parts.push(`${t.problems} cannot be applied`);
  return parts.join(", ");
}

export const emptyTotals = (): DiffTotals => ({
  create: 0,
  configure: 0,
  prune: 0,
  unchanged: 0,
  problems: 0,
});

/** kubectl diff's exit codes: 0 nothing changes, 1 something changes, 2 (above 1) an error. */
export function exitCodeOf(t: DiffTotals): number {
  if (t.problems) return 2;
  return t.create + t.configure + t.prune > 0 ? 1 : 0;
}
