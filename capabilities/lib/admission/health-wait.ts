import { parseDuration } from "../duration";
import type { Problems } from "./problems";

/** The longest health timeout accepted: beyond a day a broken rollout stays unreported too long. */
export const MAX_HEALTH_TIMEOUT_MS = 24 * 3600_000;

/**
 * spec.timeout (how long spec.wait waits for health): a positive Go duration of at least a second
 * and at most a day. Zero is refused rather than read as "fail at once": leaving wait off says that.
 */
export function checkHealthTimeout(p: Problems, field: string, value: unknown): void {
  if (value === undefined || value === null) return;
  const syntax = 'use a Go duration such as "90s", "5m" or "1h"';
  if (typeof value !== "string") return p.add(field, `must be a duration string: ${syntax}`);
  const shown = JSON.stringify(value);
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch {
    return p.add(field, `${shown} is not a valid duration: ${syntax}`);
  }
  if (ms <= 0)
    return p.add(
      field,
      `${shown} must be positive: it is how long objects may take to become healthy (set wait: false not to wait)`,
    );
  if (ms < 1000)
    return p.add(field, `${shown} is shorter than 1s, too short for any rollout: ${syntax}`);
  if (ms > MAX_HEALTH_TIMEOUT_MS)
    p.add(field, `${shown} is longer than 24h: a broken rollout would go unreported that long`);
}
