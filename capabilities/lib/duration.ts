import { OperatorError } from "./errors";

/**
 * Go `time.Duration` strings, as Vidra's ConfigMap and Kubernetes' metav1.Duration use them. Parsing
 * follows Go's `time.ParseDuration` exactly (same accepted inputs, same rounding, same int64
 * nanosecond range), so a value that works for Vidra works here and the reverse.
 */

const EXAMPLES =
  'use Go duration syntax such as "300ms", "30s", "1m", "1.5h" or "2h45m" (units ns, us, ms, s, m, h)';

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  "\u00b5s": 1_000n, // µ micro sign
  "\u03bcs": 1_000n, // μ Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const INT64_MAX = (1n << 63n) - 1n;
const NS_PER_MS = 1_000_000n;

/** A duration string that Go would reject. Not retryable: the input has to change. */
export class InvalidDurationError extends OperatorError {
  readonly input: string;

  constructor(input: string, detail: string) {
    super(`invalid duration ${JSON.stringify(input)}: ${detail}; ${EXAMPLES}`, {
      reason: "InvalidDuration",
      retryable: false,
    });
    this.input = input;
  }
}

/** Parses a Go duration into milliseconds (fractional below 1ms, negative for "-1m"). */
export function parseDuration(s: string): number {
  const ns = parseNanoseconds(s);
  const ms = Number(ns / NS_PER_MS) + Number(ns % NS_PER_MS) / 1e6;
  return ms === 0 ? 0 : ms;
}

/**
 * Why `s` is not an acceptable duration (for admission), or `undefined`. Zero and negative durations
 * are refused unless allowed: almost every interval needs to be positive.
 */
export function durationProblem(
  s: unknown,
  opts: { allowZero?: boolean; allowNegative?: boolean } = {},
): string | undefined {
  if (typeof s !== "string") return `must be a string; ${EXAMPLES}`;
  let ms: number;
  try {
    ms = parseDuration(s);
  } catch (err) {
    return (err as Error).message;
  }
  if (ms === 0 && !opts.allowZero) return `duration ${JSON.stringify(s)} must be greater than zero`;
  if (ms < 0 && !opts.allowNegative) return `duration ${JSON.stringify(s)} must not be negative`;
  return undefined;
}

/** Formats milliseconds like Go's `Duration.String()`: "1m30s", "1h0m0s", "1.5s", "300ms", "0s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`cannot format ${ms} as a duration`);
  const whole = Math.trunc(ms);
  let ns = BigInt(whole) * NS_PER_MS + BigInt(Math.round((ms - whole) * 1e6));
  const neg = ns < 0n;
  if (neg) ns = -ns;
  let out: string;
  if (ns < 1_000_000_000n) {
    if (ns === 0n) return "0s";
    if (ns < 1_000n) out = `${ns}ns`;
    else if (ns < 1_000_000n) out = `${fraction(ns, 3)}\u00b5s`;
    else out = `${fraction(ns, 6)}ms`;
  } else {
    const totalSeconds = ns / 1_000_000_000n;
    const seconds = `${fraction(ns % 60_000_000_000n, 9)}s`;
    const minutes = totalSeconds / 60n;
    out =
      minutes === 0n
        ? seconds
        : minutes < 60n
          ? `${minutes}m${seconds}`
          : `${minutes / 60n}h${minutes % 60n}m${seconds}`;
  }
  return neg ? `-${out}` : out;
}

/** `v / 10^digits` with trailing zeros (and a bare ".") dropped, as Go's fmtFrac + fmtInt. */
function fraction(v: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const frac = (v % scale).toString().padStart(digits, "0").replace(/0+$/, "");
  return frac ? `${v / scale}.${frac}` : `${v / scale}`;
}

/** Go's ParseDuration, step by step, in int64 nanoseconds. */
function parseNanoseconds(orig: string): bigint {
  const invalid = (detail: string): never => {
    throw new InvalidDurationError(orig, detail);
  };
  let s = orig;
  let neg = false;
  if (s !== "" && (s[0] === "-" || s[0] === "+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") invalid("it is empty");
  let d = 0n;
  while (s !== "") {
    if (!(s[0] === "." || isDigit(s[0]))) invalid(`expected a number at ${JSON.stringify(s)}`);
    const intPart = /^[0-9]*/.exec(s)![0];
    s = s.slice(intPart.length);
    let v = intPart === "" ? 0n : BigInt(intPart);
    if (v > 1n << 63n) invalid("it is too large");
    let fracDigits = "";
    if (s[0] === ".") {
      fracDigits = /^[0-9]*/.exec(s.slice(1))![0];
      s = s.slice(1 + fracDigits.length);
    }
    if (intPart === "" && fracDigits === "") invalid("a number has no digits");
    const unitText = /^[^0-9.]*/.exec(s)![0];
    if (unitText === "") invalid("a number has no unit");
    s = s.slice(unitText.length);
    const unit = UNIT_NS[unitText];
    if (unit === undefined) {
      invalid(
        `unknown unit ${JSON.stringify(unitText)}${unitText === "d" ? " (days are not a Go unit: use hours, e.g. 48h)" : ""}`,
      );
    }
    if (v > (1n << 63n) / unit) invalid("it is too large");
    v *= unit;
    v += fractionNanoseconds(fracDigits, unit);
    if (v > 1n << 63n) invalid("it is too large");
    d += v;
    if (d > 1n << 63n) invalid("it is too large");
  }
  if (neg) return -d;
  if (d > INT64_MAX) invalid("it is too large");
  return d;
}

/** Go's leadingFraction + `uint64(float64(f) * (float64(unit) / scale))`, including its float rounding. */
function fractionNanoseconds(digits: string, unit: bigint): bigint {
  let f = 0n;
  let scale = 1;
  for (const c of digits) {
    // Go stops accumulating (but keeps consuming) once more digits would overflow int64.
    if (f > INT64_MAX / 10n) break;
    const next = f * 10n + BigInt(c);
    if (next > 1n << 63n) break;
    f = next;
    scale *= 10;
  }
  if (f === 0n) return 0n;
  return BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
}

function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}
