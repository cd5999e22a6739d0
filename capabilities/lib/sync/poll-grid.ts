import { createHash } from "node:crypto";

/** Grid phases are spread over this much time, so groups do not all poll at the same instant. */
const SPREAD_MS = 10_000;

/**
 * When a sync of `group` polls next: on its group's grid (every `pollMs` from an offset fixed per
 * group), at least half an interval from `now`. Syncs of one group with one interval so fall due
 * at the same instant, whenever they were created, and one request answers them all; intervals
 * that are multiples of one another share grid points.
 */
export function nextPollAt(group: string, pollMs: number, now: number): number {
  const offset = createHash("sha256").update(group).digest().readUInt32BE(0) % SPREAD_MS;
  const earliest = now + pollMs / 2;
  return offset + Math.ceil((earliest - offset) / pollMs) * pollMs;
}
