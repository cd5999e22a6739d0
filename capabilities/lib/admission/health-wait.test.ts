import { checkHealthTimeout } from "./health-wait";
import { Problems } from "./problems";

const check = (v: unknown): string[] => {
  const p = new Problems();
  checkHealthTimeout(p, "spec.timeout", v);
  return p.items;
};

test.each(["5m", "90s", "1h30m", "24h", "1s"])("%s is accepted", v => {
  expect(check(v)).toEqual([]);
});

test("absent is accepted (the default applies)", () => {
  expect(check(undefined)).toEqual([]);
});

test.each<[unknown, string]>([
  [
    "5 minutes",
    'spec.timeout "5 minutes" is not a valid duration: use a Go duration such as "90s", "5m" or "1h"',
  ],
  [300, 'spec.timeout must be a duration string: use a Go duration such as "90s", "5m" or "1h"'],
  [
    "0",
    'spec.timeout "0" must be positive: it is how long objects may take to become healthy (set wait: false not to wait)',
  ],
  [
    "-1m",
    'spec.timeout "-1m" must be positive: it is how long objects may take to become healthy (set wait: false not to wait)',
  ],
  [
    "500ms",
    'spec.timeout "500ms" is shorter than 1s, too short for any rollout: use a Go duration such as "90s", "5m" or "1h"',
  ],
  ["48h", 'spec.timeout "48h" is longer than 24h: a broken rollout would go unreported that long'],
])("%j is denied", (v, message) => {
  expect(check(v)).toEqual([message]);
});
