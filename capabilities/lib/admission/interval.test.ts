import { checkInterval } from "./interval";
import { Problems } from "./problems";

function check(value: unknown): string[] {
  const p = new Problems();
  checkInterval(p, "spec.pollInterval", value, "Infrahub would be asked");
  return p.items;
}

describe("checkInterval", () => {
  test.each([
    undefined,
    null,
    "0",
    "0s",
    "-0",
    "1s",
    "1000ms",
    "90s",
    "5m",
    "1h30m",
    "1.5h",
    "2562047h",
  ])("accepts %j", v => expect(check(v)).toEqual([]));

  test("an unparsable duration says why and what the syntax is", () => {
    expect(check("5d")).toEqual([
      'spec.pollInterval "5d" is not a valid duration (unknown unit "d" (days are not a Go unit: use hours, e.g. 48h)): ' +
        'use Go duration syntax such as "30s", "5m" or "1h30m" (units ns, us, ms, s, m, h), or "0" to disable',
    ]);
    expect(check("")[0]).toMatch(/^spec\.pollInterval "" is not a valid duration \(it is empty\)/);
    expect(check("5")[0]).toMatch(/"5" is not a valid duration \(a number has no unit\)/);
    expect(check("five minutes")[0]).toMatch(/is not a valid duration \(expected a number at/);
    expect(check("9999999999h")[0]).toMatch(/is not a valid duration \(it is too large\)/);
  });

  test("a non-string is refused", () => {
    expect(check(300)[0]).toMatch(
      /^spec\.pollInterval must be a duration string: use Go duration syntax/,
    );
  });

  test("a negative duration is refused", () => {
    expect(check("-1m")).toEqual([
      'spec.pollInterval "-1m" is negative: use a positive duration such as "5m", or "0" to disable',
    ]);
  });

  test("a non-zero duration under one second is refused as a likely unit slip", () => {
    expect(check("500ms")).toEqual([
      'spec.pollInterval "500ms" is shorter than 1s: Infrahub would be asked more than once a second, which is almost ' +
        'certainly a unit slip. Use at least "1s" (e.g. "30s" or "5m"), or "0" to disable',
    ]);
    expect(check("999.999ms")).toHaveLength(1);
    expect(check("1ns")).toHaveLength(1);
  });

  test("messages contain no semicolon (the wiring joins problems with one)", () => {
    for (const v of ["5d", "", "-1m", "500ms", 3])
      for (const m of check(v)) expect(m).not.toContain(";");
  });
});
