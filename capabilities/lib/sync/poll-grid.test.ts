import { nextPollAt } from "./poll-grid";

describe("nextPollAt", () => {
  const MIN = 60_000;

  it("puts syncs of one group created at different times on the same instant", () => {
    const a = nextPollAt("g", MIN, 1_000_000);
    const b = nextPollAt("g", MIN, 1_000_000 + 17_000);
    const c = nextPollAt("g", MIN, 1_000_000 + 29_000);
    expect(new Set([a, b, c]).size).toBe(1);
  });

  it("is at least half an interval and at most one and a half away", () => {
    for (let now = 0; now < 3 * MIN; now += 7_919) {
      const next = nextPollAt("g", MIN, now);
      expect(next - now).toBeGreaterThanOrEqual(MIN / 2);
      expect(next - now).toBeLessThan(1.5 * MIN);
    }
  });

  it("keeps a steady interval once on the grid", () => {
    const first = nextPollAt("g", MIN, 5_000);
    expect(nextPollAt("g", MIN, first + 120)).toBe(first + MIN);
  });

  it("shares grid points between intervals that are multiples of one another", () => {
    const long = nextPollAt("g", 2 * MIN, 0);
    const points = new Set([0, 1, 2, 3].map(k => nextPollAt("g", MIN, 0) + k * MIN));
    expect(points.has(long) || points.has(long + 2 * MIN)).toBe(true);
  });

  it("spreads groups over several seconds", () => {
    const phases = new Set(["a", "b", "c", "d", "e"].map(g => nextPollAt(g, MIN, 0) % MIN));
    expect(phases.size).toBeGreaterThan(1);
  });
});
