import { failureDelay } from "./backoff";

const opts = { baseDelayMs: 1_000, maxDelayMs: 300_000, jitter: 0, random: () => 0.5 };

describe("failureDelay", () => {
  it("doubles from the base delay per consecutive failure", () => {
    expect([1, 2, 3, 4, 5].map(n => failureDelay(n, opts))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000,
    ]);
  });

  it("caps at the max delay, even for huge failure counts", () => {
    expect(failureDelay(9, opts)).toBe(256_000);
    expect(failureDelay(10, opts)).toBe(300_000);
    expect(failureDelay(5_000, opts)).toBe(300_000);
  });

  it("applies ± jitter around the capped delay", () => {
    const withJitter = { ...opts, jitter: 0.2 };
    expect(failureDelay(1, { ...withJitter, random: () => 0 })).toBe(800);
    expect(failureDelay(1, { ...withJitter, random: () => 0.5 })).toBe(1_000);
    expect(failureDelay(1, { ...withJitter, random: () => 0.75 })).toBe(1_100);
    expect(failureDelay(10, { ...withJitter, random: () => 0 })).toBe(240_000);
  });
});
