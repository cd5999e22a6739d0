import { parseDuration } from "../duration";
import type { Problems } from "./problems";

/** The shortest non-zero interval accepted (see checkInterval). */
export const MIN_INTERVAL_MS = 1000;

const SYNTAX = 'use Go duration syntax such as "30s", "5m" or "1h30m" (units ns, us, ms, s, m, h)';

/** The detail of duration.ts's message, without its prefix and examples (which we word ourselves). */
function durationDetail(message: string): string {
  const m = /^invalid duration ".*?": (.*?); use Go duration syntax/s.exec(message);
  return (m ? m[1] : message).replace(/;/g, ",");
}

/**
 * A per-object interval (pollInterval, reapplyInterval): a Go duration, "0" to switch the periodic
 * work off, never negative. A non-zero value under one second is refused: it is almost always a unit
 * slip ("500ms" for "500s"), and it would make the operator hit Infrahub or the API server several
 * times a second for one object.
 * `consequence` completes "…shorter than 1s: <consequence> more than once a second".
 */
export function checkInterval(
  p: Problems,
  field: string,
  value: unknown,
  consequence: string,
): void {
  if (value === undefined || value === null) return;
  if (typeof value !== "string")
    return p.add(field, `must be a duration string: ${SYNTAX}, or "0" to disable`);
  const shown = JSON.stringify(value);
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (err) {
    return p.add(
      field,
      `${shown} is not a valid duration (${durationDetail((err as Error).message)}): ${SYNTAX}, or "0" to disable`,
    );
  }
  if (ms < 0)
    return p.add(
      field,
      `${shown} is negative: use a positive duration such as "5m", or "0" to disable`,
    );
  if (ms > 0 && ms < MIN_INTERVAL_MS) {
    p.add(
      field,
      `${shown} is shorter than 1s: ${consequence} more than once a second, which is almost certainly a unit slip. ` +
        'Use at least "1s" (e.g. "30s" or "5m"), or "0" to disable',
    );
  }
}
