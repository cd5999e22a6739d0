import {
  ArtifactTooLargeError,
  InfrahubAuthError,
  InfrahubBusyError,
  InfrahubInvalidResponseError,
  InfrahubNotFoundError,
  InfrahubRequestError,
  InfrahubStoredQueryError,
  InfrahubTlsError,
  InfrahubTransientError,
  TargetDateBeforeBranchError,
  type InfrahubCallContext,
  type InfrahubError,
} from "./errors";
import { missingBranch, timeBeforeBranch } from "./envelope";
import type { TransportFailure } from "./http-transport";
import type { InfrahubAuthConfig } from "./types";

/** What a request is for; decides how a failure is described. */
export interface FailureSubject {
  purpose: "login" | "refresh" | "api";
  /** What a 404 means, e.g. `stored query "ArtifactIDs"`. */
  subject: string;
  notFoundHint: string;
  /** Set for downloads: a size overrun is then an ArtifactTooLargeError. */
  artifactId?: string;
  /**
   * Real Infrahub answers a stored query whose GraphQL fails with 502 and messages prefixed
   * `GraphQLQuery <name>:` (api/query.py → extract_data → GraphQLQueryError), and crashes with a
   * bare 500 on variables that do not fit the query. Both are the query's fault, not the
   * server's: they must not be retried nor trip the breaker for everyone.
   */
  storedQuery?: boolean;
}

/** What the requester knows about a non-2xx answer besides status and messages. */
export interface AnswerFacts {
  retryAfterMs?: number;
  /** `X-Infrahub-Admission: shed`: Infrahub's admission layer refused the request unread. */
  shed?: boolean;
  /**
   * For a bare 500 (text, not Infrahub's envelope): whether Infrahub answered a health probe
   * right after, i.e. it crashed on this request rather than being down.
   */
  crashedOnRequest?: boolean;
}

const STORED_QUERY_HINT =
  "Fix the stored query in Infrahub (it must select CoreArtifact edges with node ids) or point the sync at another query.";

const CREDENTIAL_HINTS: Record<InfrahubAuthConfig["kind"], string> = {
  password:
    "Check the username and password in the credentials Secret; the account may be inactive.",
  token: "Check the API token in the credentials Secret; it may have been deleted in Infrahub.",
  anonymous:
    "This Infrahub does not allow anonymous access for this request; configure a username/password or an API token.",
};

const REACH_HINT =
  "Check that Infrahub is running and that the URL, DNS and network policies let the operator reach it; it is retried automatically.";

/** The error for a non-2xx answer. */
export function errorForStatus(
  subject: FailureSubject,
  ctx: InfrahubCallContext & { status: number },
  authKind: InfrahubAuthConfig["kind"],
  answer: AnswerFacts = {},
): InfrahubError {
  const { status } = ctx;
  const { retryAfterMs } = answer;
  const messages = ctx.serverMessages ?? [];
  if (subject.purpose === "login" && [401, 403, 404, 422].includes(status)) {
    return new InfrahubAuthError(
      "Infrahub rejected the login",
      ctx,
      "Check the username and password in the credentials Secret (Infrahub answers 404 for an unknown user and 401 for a wrong password or an inactive account).",
    );
  }
  if (status === 401) {
    const what =
      subject.purpose === "refresh"
        ? "Infrahub rejected the refresh token"
        : "Infrahub did not accept the credentials";
    return new InfrahubAuthError(what, ctx, CREDENTIAL_HINTS[authKind]);
  }
  if (status === 403) {
    return new InfrahubAuthError(
      "The Infrahub account is not allowed to do this",
      ctx,
      "Grant the account read access to artifacts (and to the stored query, if one is used) in Infrahub.",
      { permission: true },
    );
  }
  const branch = missingBranch(messages);
  if (branch !== undefined && (status === 404 || status === 400)) {
    return new InfrahubNotFoundError(
      `branch ${JSON.stringify(branch)}`,
      ctx,
      "Create the branch in Infrahub or fix the sync's target branch.",
    );
  }
  if (status === 404) return new InfrahubNotFoundError(subject.subject, ctx, subject.notFoundHint);
  const tooEarly = status === 422 ? timeBeforeBranch(messages) : undefined;
  if (tooEarly) return new TargetDateBeforeBranchError(tooEarly, ctx);
  if (status === 429)
    return new InfrahubBusyError(ctx, { retryAfterMs, shed: answer.shed === true });
  if (
    subject.storedQuery &&
    status === 502 &&
    messages.length > 0 &&
    messages.every(m => m.startsWith("GraphQLQuery "))
  ) {
    return new InfrahubStoredQueryError(
      "The stored query failed in Infrahub",
      ctx,
      STORED_QUERY_HINT,
    );
  }
  if (subject.storedQuery && status === 500 && answer.crashedOnRequest) {
    return new InfrahubStoredQueryError(
      "Infrahub failed with an internal error on the stored query while it answers other requests",
      ctx,
      "Infrahub does this when the query's variables do not fit what the operator sends (artifactname, a string): check that the query declares no other required variable and that artifactname is a String or [String], then check Infrahub's log.",
    );
  }
  if (status >= 500) {
    return new InfrahubTransientError("Infrahub failed with a server error", ctx, REACH_HINT, {
      retryAfterMs,
    });
  }
  if (status >= 300 && status < 400) {
    return new InfrahubRequestError(
      "Infrahub answered with a redirect, which the operator does not follow",
      ctx,
      "Use the final URL of Infrahub (for example https:// instead of http://) in the sync's Infrahub URL.",
    );
  }
  return new InfrahubRequestError(
    "Infrahub rejected the request",
    ctx,
    "This usually means the operator and this Infrahub version disagree on the API; check Infrahub's logs and the Infrahub version.",
  );
}

/** The error for a request that got no complete answer. */
export function errorForTransport(
  subject: FailureSubject,
  ctx: InfrahubCallContext,
  failure: TransportFailure,
  limits: { timeoutMs: number; maxBytes: number },
): InfrahubError {
  switch (failure.kind) {
    case "tls":
      return new InfrahubTlsError(
        `The TLS connection to Infrahub failed: ${failure.message}`,
        ctx,
        "Configure the CA bundle that signed Infrahub's certificate, check the URL's host name matches the certificate, or (labs only) skip TLS verification.",
        failure,
      );
    case "timeout":
      return new InfrahubTransientError(
        `Infrahub did not answer within ${limits.timeoutMs} ms`,
        ctx,
        REACH_HINT,
        { cause: failure },
      );
    case "truncated":
      return new InfrahubTransientError(
        `The answer from Infrahub was cut off: ${failure.message}`,
        ctx,
        REACH_HINT,
        { cause: failure },
      );
    case "too-large":
      if (subject.artifactId !== undefined) {
        return new ArtifactTooLargeError(
          subject.artifactId,
          limits.maxBytes,
          failure.seenBytes,
          ctx,
        );
      }
      return new InfrahubInvalidResponseError(
        `The answer from Infrahub is larger than ${limits.maxBytes} bytes`,
        ctx,
        "Narrow the lookup (fewer artifacts per query) or check what sits in front of Infrahub.",
        { retryable: false },
      );
    case "network":
      return new InfrahubTransientError(
        `Could not talk to Infrahub: ${failure.message}`,
        ctx,
        REACH_HINT,
        { cause: failure },
      );
  }
}
