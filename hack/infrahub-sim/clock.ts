/**
 * Time for the simulator's history: instants are integer microseconds since the epoch, the
 * precision Infrahub's `Timestamp` keeps, so `?at=` values with microseconds round-trip exactly.
 */

/**
 * A clock for change stamps. A stamp is the wall-clock millisecond (so an `?at=` taken with
 * millisecond precision right after a change sees it), bumped by 1 µs past the previous stamp when
 * several changes fall in the same millisecond, so history never has two entries at one instant.
 */
export class MicroClock {
  private last = 0;

  now(): number {
    const wall = Date.now() * 1000;
    this.last = wall > this.last ? wall : this.last + 1;
    return this.last;
  }
}

/** Formats like Infrahub's `Timestamp.to_string()`: `2024-10-22T10:00:00.123456Z`. */
export function formatMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  const micros = us - ms * 1000;
  return new Date(ms).toISOString().replace("Z", `${String(micros).padStart(3, "0")}Z`);
}

/** `updated_at` of attributes and relationship properties: Python's `isoformat()` with `+00:00`. */
export function formatMicrosOffset(us: number): string {
  return formatMicros(us).replace(/Z$/, "+00:00");
}

const AT_PATTERN =
  /^(\d{4})-?(\d{2})-?(\d{2})(?:[Tt ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?(?:\[[^\]]+\])?)?$/;

/** The SDK's relative forms: each unit is searched anywhere in the text (`re.search`). */
const RELATIVE: Array<[RegExp, number]> = [
  [/(\d+)(s|sec|second|seconds)/, 1e6],
  [/(\d+)(m|min|minute|minutes)/, 60e6],
  [/(\d+)(h|hour|hours)/, 3600e6],
];

/**
 * Parses an `at` value into microseconds like the SDK's `Timestamp` (infrahub_sdk/timestamp.py),
 * or returns undefined where it raises "Invalid time format". ISO 8601 / RFC 3339 first (no
 * offset = UTC, a bare date = 12:00 UTC, a `[Zone]` suffix after an offset is allowed), then the
 * relative forms: every `<n>s|sec|second(s)`, `<n>m|min|minute(s)` and `<n>h|hour(s)` found
 * anywhere in the text is subtracted from now, so `now-2h`, `2h30m` and `now-0s` all work.
 */
export function parseAt(value: string, nowUs: number = Date.now() * 1000): number | undefined {
  const absolute = parseIso(value);
  if (absolute !== undefined) return absolute;
  let offset = 0;
  let found = false;
  for (const [pattern, unit] of RELATIVE) {
    const m = pattern.exec(value);
    if (m) {
      found = true;
      offset += Number(m[1]) * unit;
    }
  }
  return found ? nowUs - offset : undefined;
}

function parseIso(value: string): number | undefined {
  const m = AT_PATTERN.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, offset] = m;
  const dateOnly = h === undefined;
  const fields = [
    Number(y),
    Number(mo) - 1,
    Number(d),
    dateOnly ? 12 : Number(h),
    dateOnly ? 0 : Number(mi),
    Number(s ?? 0),
  ];
  const ms = Date.UTC(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]);
  const check = new Date(ms);
  // Date.UTC silently rolls 2024-02-31 over into March; a real parser rejects it.
  if (
    Number.isNaN(ms) ||
    check.getUTCFullYear() !== fields[0] ||
    check.getUTCMonth() !== fields[1] ||
    check.getUTCDate() !== fields[2] ||
    check.getUTCHours() !== fields[3] ||
    check.getUTCMinutes() !== fields[4] ||
    check.getUTCSeconds() !== fields[5]
  ) {
    return undefined;
  }
  const micros = frac === undefined ? 0 : Number(frac.slice(0, 6).padEnd(6, "0"));
  return (ms - offsetMinutes(offset) * 60_000) * 1000 + micros;
}

function offsetMinutes(offset: string | undefined): number {
  if (offset === undefined || offset === "Z" || offset === "z") return 0;
  const sign = offset.startsWith("-") ? -1 : 1;
  const digits = offset.slice(1).replace(":", "");
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || "0"));
}
