import { OperatorError } from "../errors";

/**
 * Where an Infrahub failure happened. `address` never carries credentials; `endpoint` is the
 * method and path (with query) of the request, kept for logs but left out of messages (status
 * and Events read without request lines); `serverMessages` are Infrahub's own error messages from
 * the response envelope, already scrubbed of secrets.
 */
export interface InfrahubCallContext {
  address: string;
  endpoint: string;
  status?: number;
  serverMessages?: readonly string[];
}

/** The answer's status and Infrahub's own words, e.g. `HTTP 401, Infrahub said "…"`. */
function answer(ctx: Pick<InfrahubCallContext, "status" | "serverMessages">): string {
  const status = ctx.status === undefined ? "no HTTP response" : `HTTP ${ctx.status}`;
  const said = ctx.serverMessages?.length
    ? `, Infrahub said ${ctx.serverMessages.map(m => JSON.stringify(m)).join(", ")}`
    : "";
  return `${status}${said}`;
}

/** Common shape of every Infrahub failure: the summary, then where, then what a person can do. */
export abstract class InfrahubError extends OperatorError {
  readonly address: string;
  readonly endpoint: string;
  readonly status: number | undefined;
  readonly serverMessages: readonly string[];
  /** What went wrong, without where or what to do. */
  readonly summary: string;
  /** What a person can do about it. */
  readonly hint: string;

  constructor(
    summary: string,
    ctx: InfrahubCallContext,
    hint: string,
    opts: { reason: string; retryable: boolean; cause?: unknown },
  ) {
    super(`${summary} (Infrahub ${ctx.address}, ${answer(ctx)}). ${hint}`, opts);
    this.address = ctx.address;
    this.endpoint = ctx.endpoint;
    this.status = ctx.status;
    this.serverMessages = ctx.serverMessages ?? [];
    this.summary = summary;
    this.hint = hint;
  }

  /** Infrahub's answer: `HTTP 401, Infrahub said "…"`, or `no HTTP response`. */
  get answer(): string {
    return answer(this);
  }

  /** What failed, for a message that already names the address: `<summary> (HTTP 503, …)`. */
  get failure(): string {
    return `${this.summary} (${this.answer})`;
  }
}

/** Credentials rejected (401) or not allowed (403). Retrying unchanged will not help. */
export class InfrahubAuthError extends InfrahubError {
  /**
   * True when nothing was sent: Infrahub refused these very credentials before, and the client
   * waits for them to change instead of failing a login at every poll (see InfrahubAuth).
   */
  readonly remembered: boolean;

  constructor(
    summary: string,
    ctx: InfrahubCallContext,
    hint: string,
    opts: { permission?: boolean; remembered?: boolean } = {},
  ) {
    super(summary, ctx, hint, {
      reason: opts.permission ? "PermissionDenied" : "AuthenticationFailed",
      retryable: false,
    });
    this.remembered = opts.remembered === true;
  }

  /** The same refusal, answered from memory. */
  recalled(): InfrahubAuthError {
    return new InfrahubAuthError(this.summary, this, this.hint, {
      permission: this.reason === "PermissionDenied",
      remembered: true,
    });
  }
}

/** A branch, stored query, artifact or storage object does not exist. */
export class InfrahubNotFoundError extends InfrahubError {
  /** What was missing, e.g. `branch "feature-x"`. */
  readonly what: string;

  constructor(what: string, ctx: InfrahubCallContext, hint: string) {
    super(`${what} was not found`, ctx, hint, { reason: "NotFound", retryable: false });
    this.what = what;
  }
}

/**
 * Infrahub answered, but not with what the contract promises: GraphQL `errors`, an unexpected
 * JSON shape, an error envelope where content was expected, a body that is not JSON.
 * Retryable only for bodies that look mangled in transit (non-JSON where JSON was due, a result
 * that changed while paging); shape and GraphQL errors come from the query and stay until it changes.
 */
export class InfrahubInvalidResponseError extends InfrahubError {
  constructor(
    summary: string,
    ctx: InfrahubCallContext,
    hint: string,
    opts: { retryable: boolean; cause?: unknown },
  ) {
    super(summary, ctx, hint, {
      reason: "InvalidResponse",
      retryable: opts.retryable,
      cause: opts.cause,
    });
  }
}

/** Infrahub rejected the request itself (400/405/409/422 ...). */
export class InfrahubRequestError extends InfrahubError {
  constructor(summary: string, ctx: InfrahubCallContext, hint: string) {
    super(summary, ctx, hint, { reason: "RequestRejected", retryable: false });
  }
}

/** Network failure, timeout, truncated body, 5xx or 429: trying again later may succeed. */
export class InfrahubTransientError extends InfrahubError {
  /** What the server asked for via `Retry-After`, when it did. */
  readonly retryAfterMs: number | undefined;

  constructor(
    summary: string,
    ctx: InfrahubCallContext,
    hint: string,
    opts: { retryAfterMs?: number; cause?: unknown; reason?: string } = {},
  ) {
    super(summary, ctx, hint, {
      reason: opts.reason ?? "InfrahubUnavailable",
      retryable: true,
      cause: opts.cause,
    });
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/**
 * Infrahub is shedding load (429, on 1.11 from its admission layer with `Retry-After` of 5, 10 or
 * 20 s and `X-Infrahub-Admission: shed`). The server is up and asks for patience: the call waits
 * as asked and tries again, and this never counts towards opening the circuit breaker.
 */
export class InfrahubBusyError extends InfrahubTransientError {
  /** True when Infrahub's admission layer says the request never reached a handler. */
  readonly shed: boolean;

  constructor(ctx: InfrahubCallContext, opts: { retryAfterMs?: number; shed: boolean }) {
    super(
      opts.shed ? "Infrahub is shedding load" : "Infrahub is rate limiting requests",
      ctx,
      opts.retryAfterMs === undefined
        ? "The request is retried with backoff."
        : `The request is retried after the ${Math.ceil(opts.retryAfterMs / 1000)}s Infrahub asked for.`,
      { retryAfterMs: opts.retryAfterMs, reason: "InfrahubBusy" },
    );
    this.shed = opts.shed;
  }
}

/**
 * Infrahub has no data for the requested instant: it lies before the branch (or, for another
 * branch, before its origin) was created (HTTP 422 "Requested time … is before branch …").
 * Retrying the same instant cannot help; a relative targetDate may become valid with time, which
 * the next scheduled sync notices.
 */
export class TargetDateBeforeBranchError extends InfrahubError {
  /** The instant Infrahub was asked for, as Infrahub wrote it. */
  readonly requestedTime: string;
  readonly branch: string;
  readonly branchCreatedAt: string;

  constructor(
    found: { requestedTime: string; branch: string; branchCreatedAt: string },
    ctx: InfrahubCallContext,
  ) {
    super(
      `The target date ${found.requestedTime} is before branch "${found.branch}" was created (${found.branchCreatedAt}); Infrahub has no data for it`,
      ctx,
      `Set spec.source.targetDate to ${found.branchCreatedAt} or later, or remove it to follow the branch's current state.`,
      { reason: "TargetDateBeforeBranch", retryable: false },
    );
    this.requestedTime = found.requestedTime;
    this.branch = found.branch;
    this.branchCreatedAt = found.branchCreatedAt;
  }
}

/**
 * The stored query failed inside Infrahub: it raised while it ran (502 `GraphQLQuery <name>: …`)
 * or Infrahub crashed on it (a bare 500) while answering other requests normally. A problem of
 * the query or of the variables the operator sends, not an outage: not retried, not counted by
 * the circuit breaker.
 */
export class InfrahubStoredQueryError extends InfrahubError {
  constructor(summary: string, ctx: InfrahubCallContext, hint: string) {
    super(summary, ctx, hint, { reason: "StoredQueryFailed", retryable: false });
  }
}

/** The server certificate could not be verified. A configuration problem, not retried. */
export class InfrahubTlsError extends InfrahubError {
  constructor(summary: string, ctx: InfrahubCallContext, hint: string, cause: unknown) {
    super(summary, ctx, hint, { reason: "TLSVerificationFailed", retryable: false, cause });
  }
}

/**
 * Requests to this address are paused after repeated transient failures. The message says what
 * failed last (a person needs that, not only "paused"); `eventMessage` leaves out the retry time,
 * which changes at every trial, so the Events of one outage fold into one.
 */
export class InfrahubCircuitOpenError extends OperatorError {
  readonly address: string;
  /** Epoch ms at which one trial request will be let through again. */
  readonly retryAt: number;
  /** The last failure that counted, e.g. `Infrahub failed with a server error (HTTP 503)`. */
  readonly lastFailure: string | undefined;

  constructor(
    address: string,
    retryAt: number,
    now: number,
    consecutiveFailures: number,
    lastFailure?: string,
  ) {
    const seconds = Math.max(0, Math.ceil((retryAt - now) / 1000));
    const last = lastFailure ?? "network errors, timeouts or 5xx";
    const stable =
      `Infrahub ${address} is failing; last error: ${last}. Check that Infrahub is running and ` +
      `reachable from the operator; requests to it are paused after ${consecutiveFailures} consecutive failures`;
    super(`${stable}, next try at ${new Date(retryAt).toISOString()} (in about ${seconds}s).`, {
      reason: "CircuitOpen",
      retryable: true,
      eventMessage: `${stable}.`,
    });
    this.address = address;
    this.retryAt = retryAt;
    this.lastFailure = lastFailure;
  }
}

/**
 * The downloaded content does not hash to the artifact's checksum. Retryable: the usual cause is
 * the artifact being regenerated between the lookup and the download (the next lookup sees the
 * new checksum); the client already re-downloads once to rule out a damaged transfer.
 */
export class ArtifactChecksumMismatchError extends InfrahubError {
  constructor(artifactId: string, expected: string, actual: string, ctx: InfrahubCallContext) {
    super(
      `Artifact ${artifactId} content has md5 ${actual}, but Infrahub lists checksum ${expected}`,
      ctx,
      "This is normal while Infrahub regenerates the artifact and clears on the next sync; if it " +
        "persists, regenerate the artifact in Infrahub.",
      { reason: "ChecksumMismatch", retryable: true },
    );
  }
}

/** The artifact is bigger than the configured limit; it was not (fully) downloaded. */
export class ArtifactTooLargeError extends InfrahubError {
  readonly limitBytes: number;

  constructor(artifactId: string, limitBytes: number, seenBytes: number, ctx: InfrahubCallContext) {
    super(
      `Artifact ${artifactId} is larger than the ${limitBytes}-byte limit (at least ${seenBytes} bytes)`,
      ctx,
      "Split the artifact in Infrahub into smaller ones, or raise the operator's artifact size limit.",
      { reason: "ArtifactTooLarge", retryable: false },
    );
    this.limitBytes = limitBytes;
  }
}

/** The connection settings cannot work (bad URL, unsupported scheme). */
export class InfrahubConfigError extends OperatorError {
  constructor(message: string) {
    super(message, { reason: "InvalidInfrahubConnection", retryable: false });
  }
}
