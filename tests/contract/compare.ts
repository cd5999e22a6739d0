import { readFileSync } from "node:fs";
import type { ContractObservation, ContractRecording, ContractSkip } from "./types";

/** A case where the simulator answers differently from Infrahub on purpose, and why. */
export interface IntendedDifference {
  case: string;
  /** What differs; the rest of the answer must still match. */
  parts: Array<"status" | "contentType" | "headers" | "body">;
  why: string;
}

export interface Difference {
  case: string;
  problem: string;
}

export function loadFixture(path: string): ContractRecording {
  return JSON.parse(readFileSync(path, "utf8")) as ContractRecording;
}

/**
 * JSON equality with key order ignored. Not util.isDeepStrictEqual: it compares prototypes, and
 * under Jest arrays built by node:http come from another realm than those of the test.
 */
function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}

const isSkip = (c: ContractObservation | ContractSkip | undefined): c is ContractSkip =>
  c !== undefined && "skipped" in c;

/**
 * Compares two recordings case by case. A case missing on either side, skipped on either side,
 * or answered differently in a part not declared intended is a difference. An intended
 * difference that no longer differs is reported too, so the list cannot go stale.
 */
export function compareRecordings(
  expected: ContractRecording,
  actual: ContractRecording,
  opts: { intended: IntendedDifference[] },
): Difference[] {
  const out: Difference[] = [];
  const ids = new Set([...Object.keys(expected.cases), ...Object.keys(actual.cases)]);
  for (const id of ids) {
    const e = expected.cases[id];
    const a = actual.cases[id];
    if (e === undefined) {
      out.push({ case: id, problem: "not in the fixture (record it again)" });
      continue;
    }
    if (a === undefined) {
      out.push({ case: id, problem: "not run" });
      continue;
    }
    if (isSkip(e) || isSkip(a)) {
      out.push({
        case: id,
        problem: `skipped: ${isSkip(e) ? `fixture (${e.skipped})` : ""}${isSkip(a) ? ` run (${a.skipped})` : ""}`,
      });
      continue;
    }
    const intended = new Set(opts.intended.filter(d => d.case === id).flatMap(d => d.parts));
    const differs = {
      status: e.status !== a.status,
      contentType: e.contentType !== a.contentType,
      headers: !same(e.headers, a.headers),
      body: !same(e.body, a.body),
    };
    for (const part of ["status", "contentType", "headers", "body"] as const) {
      if (differs[part] && !intended.has(part)) {
        out.push({ case: id, problem: `${part}: ${describe(part, e, a)}` });
      }
      if (!differs[part] && intended.has(part)) {
        out.push({
          case: id,
          problem: `${part} is listed as an intended difference but matches; remove it from the list`,
        });
      }
    }
  }
  for (const d of opts.intended)
    if (!ids.has(d.case))
      out.push({ case: d.case, problem: "intended difference for an unknown case" });
  return out;
}

function describe(
  part: "status" | "contentType" | "headers" | "body",
  e: ContractObservation,
  a: ContractObservation,
): string {
  if (part === "body") {
    const path = firstDifference(e.body, a.body, "$");
    return `first difference at ${path.at}: expected ${short(path.expected)}, got ${short(path.actual)}`;
  }
  return `expected ${short(e[part] ?? null)}, got ${short(a[part] ?? null)}`;
}

function firstDifference(
  e: unknown,
  a: unknown,
  at: string,
): { at: string; expected: unknown; actual: unknown } {
  if (same(e, a)) return { at, expected: e, actual: a };
  if (Array.isArray(e) && Array.isArray(a)) {
    for (let i = 0; i < Math.max(e.length, a.length); i++)
      if (!same(e[i], a[i])) return firstDifference(e[i], a[i], `${at}[${i}]`);
  }
  if (isObject(e) && isObject(a)) {
    for (const key of new Set([...Object.keys(e), ...Object.keys(a)]))
      if (!same(e[key], a[key])) return firstDifference(e[key], a[key], `${at}.${key}`);
  }
  return { at, expected: e, actual: a };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function short(value: unknown): string {
  const text = value === undefined ? "(absent)" : JSON.stringify(value);
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

/** A report for a person: one line per difference. */
export function formatDifferences(differences: Difference[], left: string, right: string): string {
  if (differences.length === 0) return `${right} answers every case like ${left}\n`;
  return `${differences.length} differences between ${left} and ${right}:\n${differences
    .map(d => `  ${d.case}: ${d.problem}`)
    .join("\n")}\n`;
}

/** How many cases match, differ on purpose, or differ, for the summary line. */
export function matchCount(
  expected: ContractRecording,
  differences: Difference[],
  intended: IntendedDifference[] = [],
): { total: number; matching: number; intended: number; differing: number } {
  const ids = Object.keys(expected.cases);
  const failing = new Set(differences.map(d => d.case));
  const onPurpose = new Set(intended.map(d => d.case));
  const differing = ids.filter(id => failing.has(id)).length;
  const intendedCount = ids.filter(id => !failing.has(id) && onPurpose.has(id)).length;
  return {
    total: ids.length,
    matching: ids.length - differing - intendedCount,
    intended: intendedCount,
    differing,
  };
}
