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

  it.each([
    "now",
    "now-2h",
    "2h",
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
