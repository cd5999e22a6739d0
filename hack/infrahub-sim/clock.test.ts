import { MicroClock, formatMicros, parseAt } from "./clock";

describe("parseAt", () => {
  const us = (iso: string) => Date.parse(iso) * 1000;

  it("reads RFC 3339 instants with Z, offsets and fractions down to the microsecond", () => {
    expect(parseAt("2024-10-22T10:00:00Z")).toBe(us("2024-10-22T10:00:00Z"));
    expect(parseAt("2024-10-22T10:00:00.123456Z")).toBe(us("2024-10-22T10:00:00Z") + 123456);
    expect(parseAt("2024-10-22T10:00:00.123456789Z")).toBe(us("2024-10-22T10:00:00Z") + 123456);
    expect(parseAt("2024-10-22T12:30:00+02:30")).toBe(us("2024-10-22T10:00:00Z"));
    expect(parseAt("2024-10-22T05:00:00-0500")).toBe(us("2024-10-22T10:00:00Z"));
    expect(parseAt("2024-10-22t10:00:00z")).toBe(us("2024-10-22T10:00:00Z"));
  });

  it("treats a date-time without offset as UTC and a bare date as 12:00 UTC, like the SDK", () => {
    expect(parseAt("2024-10-22T10:00:00")).toBe(us("2024-10-22T10:00:00Z"));
    expect(parseAt("2024-10-22 10:00")).toBe(us("2024-10-22T10:00:00Z"));
    expect(parseAt("2024-10-22")).toBe(us("2024-10-22T12:00:00Z"));
  });

  it("reads the SDK's relative forms, each unit searched anywhere in the text", () => {
    const now = us("2024-10-22T10:00:00Z");
    expect(parseAt("now-2h", now)).toBe(now - 2 * 3600e6);
    expect(parseAt("2h", now)).toBe(now - 2 * 3600e6);
    expect(parseAt("2h30m", now)).toBe(now - 150 * 60e6);
    expect(parseAt("now-0s", now)).toBe(now);
    expect(parseAt("5min", now)).toBe(now - 300e6);
    expect(parseAt("10m5s", now)).toBe(now - 605e6);
    // As in infrahub_sdk/timestamp.py: "1month" is one minute.
    expect(parseAt("1month", now)).toBe(now - 60e6);
  });

  it("reads the ISO basic format and a zone suffix after an offset", () => {
    expect(parseAt("20241022T100000Z")).toBe(us("2024-10-22T10:00:00Z"));
    expect(parseAt("2024-10-22T10:00:00+00:00[UTC]")).toBe(us("2024-10-22T10:00:00Z"));
  });

  // Each of these raises TimestampFormatError in infrahub_sdk 1.11.9's Timestamp.
  it.each([
    "now",
    "1 hour",
    "",
    "2024-02-30T00:00:00Z",
    "2024-13-01",
    "22/10/2024",
    "2024-10-22T25:00:00Z",
    "1729591200",
  ])("rejects %p", value => {
    expect(parseAt(value)).toBeUndefined();
  });
});

describe("formatMicros", () => {
  it("writes Infrahub's Timestamp.to_string() form and round-trips through parseAt", () => {
    const value = us0("2024-10-22T10:00:00.000Z") + 123456;
    expect(formatMicros(value)).toBe("2024-10-22T10:00:00.123456Z");
    expect(parseAt(formatMicros(value))).toBe(value);
    expect(formatMicros(us0("2024-10-22T10:00:00.000Z") + 7)).toBe("2024-10-22T10:00:00.000007Z");
  });

  function us0(iso: string): number {
    return Date.parse(iso) * 1000;
  }
});

describe("MicroClock", () => {
  it("never hands out the same instant twice and stays on the wall clock's millisecond", () => {
    const clock = new MicroClock();
    const before = Date.now() * 1000;
    const stamps = Array.from({ length: 50 }, () => clock.now());
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThan(stamps[i - 1]);
    expect(stamps[0]).toBeGreaterThanOrEqual(before);
    expect(stamps[0] % 1000).toBe(0);
  });
});
