import { parseDuration } from "../duration";

/**
 * A spec interval in milliseconds, or the configured default when unset. Admission refuses bad
 * durations; an object stored before that rule existed falls back to the default too.
 */
export function intervalMs(value: string | undefined, fallbackMs: number): number {
  if (!value) return fallbackMs;
  try {
    return parseDuration(value);
  } catch {
    return fallbackMs;
  }
}
