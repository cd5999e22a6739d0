import {
  InvalidTargetDateError,
  parseTargetDate,
  readsLatest,
  targetDateProblem,
  toAtParam,
} from "./target-date";

const now = new Date("2025-06-15T12:00:00.000Z");
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();

describe("parseTargetDate: RFC3339", () => {
  it.each([
    ["2025-01-01T00:00:00Z", "2025-01-01T00:00:00.000Z"],
    ["2025-01-01t00:00:00z", "2025-01-01T00:00:00.000Z"],
    ["2025-01-01T02:30:00+02:30", "2025-01-01T00:00:00.000Z"],
    ["2024-12-31T19:00:00-05:00", "2025-01-01T00:00:00.000Z"],
    ["2025-01-01T00:00:00.5Z", "2025-01-01T00:00:00.500Z"],
    ["2025-01-01T00:00:00.123456789Z", "2025-01-01T00:00:00.123Z"],
    ["2024-02-29T23:59:59Z", "2024-02-29T23:59:59.000Z"],
    ["0050-03-01T00:00:00Z", "0050-03-01T00:00:00.000Z"],
    ["  2025-01-01T00:00:00Z  ", "2025-01-01T00:00:00.000Z"],
  ])("%s → %s", (input, expected) => {
    expect(parseTargetDate(input, now).toISOString()).toBe(expected);
    expect(targetDateProblem(input)).toBeUndefined();
  });
});

describe("parseTargetDate: relative forms", () => {
  it.each([
    ["now-2h", 2 * 3_600_000],
    ["now-30m", 30 * 60_000],
    ["now-45s", 45_000],
    ["now-3d", 3 * 86_400_000],
    ["now-1w", 604_800_000],
    ["now-10", 10_000],
    ["NOW-1h", 3_600_000],
    ["ago-5m", 5 * 60_000],
    ["-2d", 2 * 86_400_000],
    ["-90s", 90_000],
    ["-1w", 604_800_000],
  ])("%s is %d ms before now", (input, ms) => {
    expect(parseTargetDate(input, now).toISOString()).toBe(ago(ms));
    expect(targetDateProblem(input)).toBeUndefined();
  });

  it("treats + as the future", () => {
    expect(parseTargetDate("now+1h", now).toISOString()).toBe("2025-06-15T13:00:00.000Z");
    expect(parseTargetDate("+2m", now).toISOString()).toBe("2025-06-15T12:02:00.000Z");
  });

  it("is relative to the clock it is given", () => {
    const later = new Date("2030-01-01T00:00:00Z");
    expect(parseTargetDate("now-1d", later).toISOString()).toBe("2029-12-31T00:00:00.000Z");
  });
});

describe("parseTargetDate: rejected forms", () => {
  it.each([
    ["", "empty"],
    ["   ", "empty"],
    ["yesterday", "unrecognised"],
    ["2025-01-01", "unrecognised"],
    ["2025-01-01 00:00:00Z", "unrecognised"],
    ["2025-01-01T00:00:00", "unrecognised"],
    ["2025-01-01T00:00Z", "unrecognised"],
    ["2025-1-1T00:00:00Z", "unrecognised"],
    ["2025-01-01T00:00:00+0200", "unrecognised"],
    ["2025-13-01T00:00:00Z", "month 13"],
    ["2025-00-10T00:00:00Z", "month 0"],
    ["2025-02-29T00:00:00Z", "day 29"],
    ["2025-04-31T00:00:00Z", "day 31"],
    ["2025-01-01T24:00:00Z", "time of day"],
    ["2025-01-01T00:60:00Z", "time of day"],
    ["2025-01-01T00:00:60Z", "time of day"],
    ["2025-01-01T00:00:00+24:00", "UTC offset"],
    ["-2", "unrecognised"],
    ["2d", "unrecognised"],
    ["now-2y", "unrecognised"],
    ["now-2.5h", "unrecognised"],
    ["now 2h", "unrecognised"],
    ["now-", "unrecognised"],
    ["now--2h", "unrecognised"],
    ["now1-2h", "unrecognised"],
    ["-2 d", "unrecognised"],
    ["now-99999999999999999w", "too large"],
  ])("%j (%s)", (input, problem) => {
    expect(() => parseTargetDate(input, now)).toThrow(InvalidTargetDateError);
    const message = targetDateProblem(input);
    expect(message).toContain(problem);
    expect(message).toContain(JSON.stringify(input));
  });

  it("lists the accepted forms and is a non-retryable OperatorError", () => {
    let caught: unknown;
    try {
      parseTargetDate("tomorrow", now);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidTargetDateError);
    const err = caught as InvalidTargetDateError;
    expect(err.reason).toBe("InvalidTargetDate");
    expect(err.retryable).toBe(false);
    expect(err.value).toBe("tomorrow");
    for (const form of ["RFC3339", "2025-01-01T00:00:00Z", "now-2h", "-2d", "s, m, h, d, w"]) {
      expect(err.message).toContain(form);
    }
  });

  it("rejects a relative offset that leaves the representable range", () => {
    expect(() => parseTargetDate("now+99999999d", now)).toThrow(/representable range/);
  });
});

describe("toAtParam", () => {
  it("prints RFC3339 UTC without zero milliseconds", () => {
    expect(toAtParam(new Date("2025-01-01T02:00:00+02:00"))).toBe("2025-01-01T00:00:00Z");
  });

  it("keeps non-zero milliseconds", () => {
    expect(toAtParam(new Date("2025-01-01T00:00:00.250Z"))).toBe("2025-01-01T00:00:00.250Z");
  });

  it("turns a relative targetDate into an absolute instant", () => {
    expect(toAtParam(parseTargetDate("now-2h", now))).toBe("2025-06-15T10:00:00Z");
  });
});

describe("readsLatest (which syncs a push event can concern)", () => {
  const now = new Date("2025-06-01T12:00:00Z");
  test.each([
    [undefined, true],
    ["", true],
    ["2030-01-01T00:00:00Z", true],
    ["2025-06-01T11:59:59Z", false],
    ["now-2h", false],
    ["-2d", false],
    ["now-0s", true],
    ["now+1h", true],
    ["garbage", false],
  ])("%s → %s", (value, expected) => {
    expect(readsLatest(value, now)).toBe(expected);
  });
});
