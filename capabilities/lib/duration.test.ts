import { OperatorError } from "./errors";
import { durationProblem, formatDuration, InvalidDurationError, parseDuration } from "./duration";

describe("parseDuration", () => {
  it.each([
    ["300ms", 300],
    ["1.5h", 5_400_000],
    ["2h45m", 9_900_000],
    ["1m", 60_000],
    ["0", 0],
    ["+0", 0],
    ["-0", 0],
    ["0s", 0],
    ["-1m", -60_000],
    ["+5s", 5_000],
    [".5s", 500],
    ["5.s", 5_000],
    ["1h30m15.5s", 5_415_500],
    ["1ns", 0.000001],
    ["1us", 0.001],
    ["1\u00b5s", 0.001],
    ["1\u03bcs", 0.001],
    ["1.000000001s", 1000.000001],
    ["10m10m", 1_200_000],
    ["0000001s", 1_000],
    // Go ignores fraction digits beyond int64 precision instead of failing.
    ["1.00000000000000000000000000001s", 1_000],
    ["2562047h47m16.854775807s", 9223372036854.775],
  ])("parses %j like Go's time.ParseDuration", (input, ms) => {
    expect(parseDuration(input)).toBeCloseTo(ms, 9);
  });

  it("never returns negative zero", () => {
    expect(Object.is(parseDuration("-0s"), 0)).toBe(true);
  });

  it("accepts the int64 minimum but not one more than the maximum", () => {
    expect(parseDuration("-9223372036854775808ns")).toBeCloseTo(-(2 ** 63) / 1e6, 3);
    expect(() => parseDuration("9223372036854775808ns")).toThrow(/too large/);
    expect(() => parseDuration("2562047h47m16.854775808s")).toThrow(/too large/);
    expect(() => parseDuration("9999999999999999999h")).toThrow(/too large/);
  });

  it.each([
    ["", /it is empty/],
    ["-", /it is empty/],
    [".", /no digits/],
    [".s", /no digits/],
    ["1", /no unit/],
    ["10", /no unit/],
    ["1s1", /no unit/],
    ["s", /expected a number/],
    ["1 s", /unknown unit " s"/],
    ["1S", /unknown unit "S"/],
    ["1sec", /unknown unit "sec"/],
    ["1d", /unknown unit "d" \(days are not a Go unit: use hours, e.g. 48h\)/],
    ["-2d", /unknown unit "d"/],
    ["--1s", /expected a number/],
    [" 1s", /expected a number/],
    ["1s ", /unknown unit "s "/],
  ])("rejects %j as Go does", (input, detail) => {
    expect(() => parseDuration(input)).toThrow(detail);
  });

  it("throws a non-retryable InvalidDurationError that quotes the input and shows examples", () => {
    let caught: unknown;
    try {
      parseDuration("5 minutes");
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidDurationError);
    expect(caught).toBeInstanceOf(OperatorError);
    const err = caught as InvalidDurationError;
    expect(err.reason).toBe("InvalidDuration");
    expect(err.retryable).toBe(false);
    expect(err.input).toBe("5 minutes");
    expect(err.message).toBe(
      'invalid duration "5 minutes": unknown unit " minutes"; use Go duration syntax such as "300ms", "30s", ' +
        '"1m", "1.5h" or "2h45m" (units ns, us, ms, s, m, h)',
    );
  });
});

describe("durationProblem", () => {
  it("accepts positive durations", () => {
    expect(durationProblem("10m")).toBeUndefined();
  });

  it("refuses zero and negative durations unless allowed", () => {
    expect(durationProblem("0")).toBe('duration "0" must be greater than zero');
    expect(durationProblem("0s", { allowZero: true })).toBeUndefined();
    expect(durationProblem("-1m")).toBe('duration "-1m" must not be negative');
    expect(durationProblem("-1m", { allowNegative: true })).toBeUndefined();
  });

  it("reports syntax errors and non-strings with examples", () => {
    expect(durationProblem("1d")).toMatch(/^invalid duration "1d": unknown unit "d".*"2h45m"/);
    expect(durationProblem(600)).toMatch(
      /^must be a string; use Go duration syntax such as "300ms"/,
    );
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [0.000001, "1ns"],
    [0.000999, "999ns"],
    [0.001, "1\u00b5s"],
    [0.0015, "1.5\u00b5s"],
    [1, "1ms"],
    [1.5, "1.5ms"],
    [300, "300ms"],
    [999, "999ms"],
    [1_000, "1s"],
    [1_500, "1.5s"],
    [60_000, "1m0s"],
    [90_000, "1m30s"],
    [3_600_000, "1h0m0s"],
    [5_415_500, "1h30m15.5s"],
    [90_061_001, "25h1m1.001s"],
    [-1_500, "-1.5s"],
    [-60_000, "-1m0s"],
  ])("formats %d ms as Go's Duration.String() does: %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([0.000001, 0.0015, 1, 300, 1_500, 90_000, 3_600_000, 5_415_500, -60_000])(
    "round-trips %d ms through parseDuration",
    ms => {
      expect(parseDuration(formatDuration(ms))).toBeCloseTo(ms, 9);
    },
  );

  it("refuses values that are not durations", () => {
    expect(() => formatDuration(Number.NaN)).toThrow(RangeError);
    expect(() => formatDuration(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
