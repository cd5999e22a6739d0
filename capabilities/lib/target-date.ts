import { OperatorError } from "./errors";

/**
 * `spec.source.targetDate` parsing. Vidra forwarded the raw string to Infrahub as `?at=`; we resolve it
 * to an absolute instant ourselves (relative forms are relative to the reconcile's clock) and only
 * ever send RFC3339 UTC to Infrahub, so what a sync reads does not depend on how a given Infrahub
 * version interprets relative strings.
 */

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
/** Vidra's relative form (`now-2h`), widened to days and weeks; a missing unit means seconds. */
const NAMED_RELATIVE = /^[a-zA-Z]+([-+])(\d+)([smhdw]?)$/;
/** Vidra's documented short form (`-2d`), which Vidra itself rejected at runtime. */
const SHORT_RELATIVE = /^([-+])(\d+)([smhdw])$/;

const UNIT_MS: Record<string, number> = {
  "": 1_000,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const ACCEPTED_FORMS =
  "use an RFC3339 timestamp such as 2025-01-01T00:00:00Z (UTC offsets like +02:00 and fractional " +
  "seconds are allowed), a relative time such as now-2h, now-30m, now-45s, now-3d or now-1w, " +
  "or the short form -2d (units s, m, h, d, w)";

/** `targetDate` is neither an RFC3339 timestamp nor one of the relative forms. Never retryable. */
export class InvalidTargetDateError extends OperatorError {
  readonly value: string;

  constructor(value: string, problem: string) {
    super(`targetDate ${JSON.stringify(value)} is not valid (${problem}): ${ACCEPTED_FORMS}.`, {
      reason: "InvalidTargetDate",
      retryable: false,
    });
    this.value = value;
  }
}

type Parsed = { kind: "absolute"; epochMs: number } | { kind: "relative"; offsetMs: number };

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

function parseAbsolute(m: RegExpExecArray): Parsed | string {
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12) return `month ${month} does not exist`;
  if (day < 1 || day > daysInMonth(year, month))
    return `day ${day} does not exist in ${m[1]}-${m[2]}`;
  if (hour > 23 || minute > 59 || second > 59) return "the time of day is out of range";
  // Sub-millisecond digits cannot be represented by Date; they are truncated, not rounded.
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, "0"));
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return "the UTC offset is out of range";
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  return { kind: "absolute", epochMs: date.getTime() - offsetMinutes * 60_000 };
}

function parseRelative(sign: string, amount: string, unit: string): Parsed | string {
  const offsetMs = Number(amount) * UNIT_MS[unit];
  // Date supports ±8.64e15 ms around the epoch; anything near that is a typo, not a point in time.
  if (!Number.isSafeInteger(offsetMs) || offsetMs > 8.64e15) return "the offset is too large";
  return { kind: "relative", offsetMs: sign === "-" ? -offsetMs : offsetMs };
}

function parse(value: string): Parsed | string {
  const trimmed = value.trim();
  if (trimmed === "") return "it is empty";
  const absolute = RFC3339.exec(trimmed);
  if (absolute) return parseAbsolute(absolute);
  const named = NAMED_RELATIVE.exec(trimmed) ?? SHORT_RELATIVE.exec(trimmed);
  if (named) return parseRelative(named[1], named[2], named[3]);
  return "unrecognised format";
}

/**
 * Why `value` is not an acceptable targetDate, or undefined when it is. Pure (no clock), for
 * admission: it checks syntax and ranges, not whether the instant lies in the past.
 */
export function targetDateProblem(value: string): string | undefined {
  const parsed = parse(value);
  return typeof parsed === "string" ? new InvalidTargetDateError(value, parsed).message : undefined;
}

/**
 * Resolves a targetDate to an absolute instant. Accepts RFC3339 (`2025-01-01T00:00:00Z`,
 * `2025-01-01T02:00:00.5+02:00`), Vidra's `now-2h` form (any word before the sign; units
 * s/m/h/d/w, seconds when omitted) and the short `-2d` form; relative forms are taken from `now`.
 * A `+` offset means the future, literally (Infrahub itself treated every relative form as "ago").
 * @throws InvalidTargetDateError
 */
export function parseTargetDate(value: string, now: Date): Date {
  const parsed = parse(value);
  if (typeof parsed === "string") throw new InvalidTargetDateError(value, parsed);
  const result =
    parsed.kind === "absolute"
      ? new Date(parsed.epochMs)
      : new Date(now.getTime() + parsed.offsetMs);
  if (Number.isNaN(result.getTime())) {
    throw new InvalidTargetDateError(value, "it lies outside the representable range");
  }
  return result;
}

/**
 * The `?at=` value for Infrahub: RFC3339 in UTC, milliseconds only when non-zero. Always absolute;
 * relative strings are never forwarded.
 */
export function toAtParam(date: Date): string {
  const iso = date.toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
}

/**
 * Whether a sync with this targetDate reads what Infrahub holds now, so that a change made now
 * shows at its next fetch: no targetDate; an absolute instant still in the future; a relative
 * offset of zero or more. A sync pinned to the past (an absolute past instant, or `now-2h`, which
 * sees a change only once it is two hours old) does not. An invalid value reads nothing.
 */
export function readsLatest(value: string | undefined, now: Date): boolean {
  if (!value) return true;
  const parsed = parse(value);
  if (typeof parsed === "string") return false;
  return parsed.kind === "absolute" ? parsed.epochMs > now.getTime() : parsed.offsetMs >= 0;
}
