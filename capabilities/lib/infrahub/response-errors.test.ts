import {
  InfrahubAuthError,
  InfrahubBusyError,
  InfrahubRequestError,
  InfrahubStoredQueryError,
  InfrahubTransientError,
  TargetDateBeforeBranchError,
} from "./errors";
import { errorForStatus, type FailureSubject } from "./response-errors";

// The answers below are those infrahub-server 1.11.9 gives (tests/contract/fixtures).
const api: FailureSubject = { purpose: "api", subject: "thing", notFoundHint: "hint" };
const storedQuery: FailureSubject = { ...api, storedQuery: true };
const at = (status: number, serverMessages: string[]) => ({
  address: "http://infrahub.test",
  endpoint: "POST /graphql/main?at=2020-01-01T00%3A00%3A00.000Z",
  status,
  serverMessages,
});
const BEFORE_MAIN =
  "Requested time '2020-01-01T00:00:00.000000Z' is before branch 'main' was created at '2026-12-04T17:43:56.023199Z'.";

describe("errorForStatus", () => {
  it("reports a time before the branch existed as such, naming the date and the branch", () => {
    const err = errorForStatus(api, at(422, [BEFORE_MAIN]), "token");
    expect(err).toBeInstanceOf(TargetDateBeforeBranchError);
    expect(err).toMatchObject({
      reason: "TargetDateBeforeBranch",
      retryable: false,
      requestedTime: "2020-01-01T00:00:00.000000Z",
      branch: "main",
      branchCreatedAt: "2026-12-04T17:43:56.023199Z",
    });
    expect(err.message).toMatch(
      /^The target date 2020-01-01T00:00:00\.000000Z is before branch "main" was created \(2026-12-04T17:43:56\.023199Z\)/,
    );
    expect(err.message).toContain(
      "Set spec.source.targetDate to 2026-12-04T17:43:56.023199Z or later",
    );
    expect(err.message).not.toContain("disagree on the API");
  });

  it("keeps other 422s as rejected requests", () => {
    expect(errorForStatus(api, at(422, ["body.password: Field required"]), "token")).toBeInstanceOf(
      InfrahubRequestError,
    );
  });

  it("reads a 429 as a busy server: retryable, Retry-After kept, shed marker kept", () => {
    const err = errorForStatus(api, at(429, ["Server is shedding load; retry later."]), "token", {
      retryAfterMs: 10_000,
      shed: true,
    });
    expect(err).toBeInstanceOf(InfrahubBusyError);
    expect(err).toMatchObject({
      reason: "InfrahubBusy",
      retryable: true,
      retryAfterMs: 10_000,
      shed: true,
    });
  });

  it("makes a stored query failing while it runs (502 GraphQLQuery …) final", () => {
    const messages = ["GraphQLQuery ResolverError: limit must be a non-negative integer"];
    const err = errorForStatus(storedQuery, at(502, messages), "token");
    expect(err).toBeInstanceOf(InfrahubStoredQueryError);
    expect(err).toMatchObject({ reason: "StoredQueryFailed", retryable: false });
    // The same 502 elsewhere is a gateway problem.
    expect(errorForStatus(api, at(502, messages), "token")).toBeInstanceOf(InfrahubTransientError);
  });

  it("makes a bare 500 on a stored query final only when Infrahub answers other requests", () => {
    const crashed = errorForStatus(storedQuery, at(500, []), "token", { crashedOnRequest: true });
    expect(crashed).toBeInstanceOf(InfrahubStoredQueryError);
    expect(crashed.message).toContain("artifactname");
    const down = errorForStatus(storedQuery, at(500, []), "token", { crashedOnRequest: false });
    expect(down).toBeInstanceOf(InfrahubTransientError);
    expect(errorForStatus(api, at(500, []), "token", { crashedOnRequest: true })).toBeInstanceOf(
      InfrahubTransientError,
    );
  });

  // The GraphQL error catalogue's string codes ride on HTTP 401; the status decides.
  it.each([
    "Expired Signature",
    "Invalid token",
    "Authentication is required to perform this operation",
  ])("reads a GraphQL 401 %j (catalogue envelope) as an authentication failure", message => {
    const err = errorForStatus(api, at(401, [message]), "password");
    expect(err).toBeInstanceOf(InfrahubAuthError);
    expect(err.retryable).toBe(false);
    expect(err.serverMessages).toEqual([message]);
  });
});
