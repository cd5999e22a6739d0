import {
  InfrahubAuthError,
  InfrahubBusyError,
  InfrahubInvalidResponseError,
  InfrahubNotFoundError,
  InfrahubRequestError,
  InfrahubStoredQueryError,
  InfrahubTransientError,
  TargetDateBeforeBranchError,
} from "./errors";
import {
  backoffDelayMs,
  countsAsOutage,
  isTransientFailure,
  parseRetryAfter,
  retryDelayMs,
  shouldRetry,
} from "./retry-decisions";

const ctx = { address: "http://infrahub.test", endpoint: "POST /graphql/main", status: 503 };
const retryOpts = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 10_000 };
const transient = (retryAfterMs?: number) =>
  new InfrahubTransientError("down", ctx, "wait", { retryAfterMs });
const NOW = Date.parse("2025-06-15T12:00:00Z");

describe("parseRetryAfter", () => {
  it.each([
    ["0", 0],
    ["5", 5_000],
    [" 120 ", 120_000],
    [["7", "9"], 7_000],
  ])("delta-seconds %j → %d ms", (header, ms) => {
    expect(parseRetryAfter(header as string | string[], NOW)).toBe(ms);
  });

  it("reads an HTTP-date relative to now", () => {
    expect(parseRetryAfter("Sun, 15 Jun 2025 12:00:30 GMT", NOW)).toBe(30_000);
  });

  it("treats an HTTP-date in the past as now", () => {
    expect(parseRetryAfter("Sun, 15 Jun 2025 11:00:00 GMT", NOW)).toBe(0);
  });

  it.each([undefined, "", "soon", "-5", "1.5", "Sun, 99 Foo 2025"])("ignores %j", header => {
    expect(parseRetryAfter(header, NOW)).toBeUndefined();
  });
});

describe("backoffDelayMs", () => {
  const opts = { baseDelayMs: 100, maxDelayMs: 1_000 };

  it("doubles per retry with half of it jittered", () => {
    expect(backoffDelayMs(1, opts, () => 0)).toBe(50);
    expect(backoffDelayMs(1, opts, () => 0.999999)).toBe(100);
    expect(backoffDelayMs(2, opts, () => 0)).toBe(100);
    expect(backoffDelayMs(3, opts, () => 0.5)).toBe(300);
  });

  it("is capped by maxDelayMs", () => {
    expect(backoffDelayMs(10, opts, () => 0.999999)).toBe(1_000);
    expect(backoffDelayMs(50, opts, () => 0)).toBe(500);
  });
});

describe("retry decisions", () => {
  it("retries transient failures and mangled bodies", () => {
    expect(shouldRetry(transient(), retryOpts)).toBe(true);
    const garbage = new InfrahubInvalidResponseError("not JSON", ctx, "", { retryable: true });
    expect(shouldRetry(garbage, retryOpts)).toBe(true);
    expect(isTransientFailure(garbage)).toBe(true);
  });

  it("does not retry final answers", () => {
    const final = [
      new InfrahubInvalidResponseError("GraphQL errors", ctx, "", { retryable: false }),
      new InfrahubAuthError("no", { ...ctx, status: 401 }, ""),
      new InfrahubNotFoundError("branch x", { ...ctx, status: 404 }, ""),
      new InfrahubRequestError("bad", { ...ctx, status: 400 }, ""),
      new InfrahubStoredQueryError("query failed", { ...ctx, status: 502 }, ""),
      new TargetDateBeforeBranchError(
        { requestedTime: "2020-01-01T00:00:00.000000Z", branch: "main", branchCreatedAt: "x" },
        { ...ctx, status: 422 },
      ),
      new Error("programming error"),
    ];
    for (const err of final) {
      expect(shouldRetry(err, retryOpts)).toBe(false);
      expect(isTransientFailure(err)).toBe(false);
      expect(countsAsOutage(err)).toBe(false);
    }
  });

  it("counts outages for the breaker, but not a server that sheds load", () => {
    expect(countsAsOutage(transient())).toBe(true);
    const shed = new InfrahubBusyError(
      { ...ctx, status: 429 },
      { retryAfterMs: 5_000, shed: true },
    );
    expect(shouldRetry(shed, retryOpts)).toBe(true);
    expect(countsAsOutage(shed)).toBe(false);
    expect(shed).toMatchObject({ reason: "InfrahubBusy", retryable: true, retryAfterMs: 5_000 });
  });

  it("waits for Retry-After when it is within the cap, plus up to a tenth (at most 1 s) of jitter", () => {
    expect(shouldRetry(transient(10_000), retryOpts)).toBe(true);
    expect(retryDelayMs(transient(2_500), 1, retryOpts, () => 0)).toBe(2_500);
    expect(retryDelayMs(transient(2_500), 1, retryOpts, () => 0.999999)).toBe(2_750);
    expect(retryDelayMs(transient(9_900), 1, retryOpts, () => 0.999999)).toBe(10_000);
    expect(
      retryDelayMs(transient(20_000), 1, { ...retryOpts, maxRetryAfterMs: 60_000 }, () => 0.999999),
    ).toBe(21_000);
  });

  it("gives up instead of shortening a Retry-After beyond the cap", () => {
    const err = transient(10_001);
    expect(shouldRetry(err, retryOpts)).toBe(false);
    expect(isTransientFailure(err)).toBe(true);
    expect(err.retryAfterMs).toBe(10_001);
  });

  it("uses exponential backoff without Retry-After", () => {
    expect(retryDelayMs(transient(), 2, retryOpts, () => 0)).toBe(100);
  });
});
