import type http from "node:http";
import {
  DelegateBackoff,
  handleWhen,
  retry,
  type IRetryBackoffContext,
  type RetryPolicy,
} from "cockatiel";
import type { AddressBreaker } from "./circuit-breaker";
import { errorMessages, tryParseJson } from "./envelope";
import { InfrahubInvalidResponseError, type InfrahubCallContext } from "./errors";
import { sendRequest, TransportFailure, type TransportResponse } from "./http-transport";
import type { ResolvedOptions } from "./options";
import { bodyExcerpt, presentMessages, scrubSecrets } from "./redact";
import {
  errorForStatus,
  errorForTransport,
  type AnswerFacts,
  type FailureSubject,
} from "./response-errors";
import { parseRetryAfter, retryDelayMs, shouldRetry } from "./retry-decisions";
import type { InfrahubAuthConfig } from "./types";

/** One logical Infrahub call; retried as a whole per attempt. */
export interface RequestSpec extends FailureSubject {
  method: "GET" | "POST";
  /** Path after the address, already percent-encoded. */
  path: string;
  query?: Record<string, string | undefined>;
  /** Sent as JSON. */
  body?: unknown;
  /** Low-cardinality label for metrics, e.g. `POST /graphql`. */
  endpoint: string;
  /** `json`: the body must parse (non-JSON is a transient failure); `raw`: returned as bytes. */
  expect: "json" | "raw";
  maxBytes?: number;
}

export type HeaderSource = () => Promise<Record<string, string>>;

/** Carries an error out of cockatiel's retry without it being retried. */
class StopRetry extends Error {
  constructor(readonly inner: unknown) {
    super("stop retrying");
  }
}

const JSON_RESPONSE_LIMIT = 32 * 1024 * 1024;

/** The full request URL of `spec` against `address`. */
export function requestUrl(address: string, spec: Pick<RequestSpec, "path" | "query">): URL {
  const url = new URL(`${address}${spec.path}`);
  for (const [key, value] of Object.entries(spec.query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, value);
  }
  return url;
}

/** `METHOD /path?query` of `spec`, as error messages name it. */
export function describeEndpoint(
  address: string,
  spec: Pick<RequestSpec, "method" | "path" | "query">,
): string {
  const url = requestUrl(address, spec);
  return `${spec.method} ${url.pathname}${url.search}`;
}

/**
 * Sends requests to one Infrahub address with timeout, retry (cockatiel, exponential backoff with
 * jitter, Retry-After) and the address's shared circuit breaker, reports every attempt to
 * `onRequest`, and turns every failure into an InfrahubError. Knows nothing about tokens: the
 * caller passes a header source that is asked again before every attempt.
 */
export class InfrahubRequester {
  private readonly retryPolicy: RetryPolicy;

  constructor(
    private readonly deps: {
      address: string;
      agent: http.Agent;
      breaker: AddressBreaker;
      options: ResolvedOptions;
      authKind: InfrahubAuthConfig["kind"];
      /** Current secrets, scrubbed from every message built from server or network text. */
      secrets: () => Iterable<string>;
    },
  ) {
    const { retry: retryOpts, random } = deps.options;
    this.retryPolicy = retry(
      handleWhen(err => shouldRetry(err, retryOpts)),
      {
        maxAttempts: retryOpts.maxAttempts - 1,
        backoff: new DelegateBackoff((ctx: IRetryBackoffContext<unknown>) =>
          retryDelayMs(
            "error" in ctx.result ? ctx.result.error : undefined,
            ctx.attempt,
            retryOpts,
            random,
          ),
        ),
      },
    );
    this.retryPolicy.onRetry(event => {
      deps.options.logger.warn(
        {
          address: deps.address,
          retry: event.attempt,
          delayMs: event.delay,
          error: "error" in event ? event.error.message : undefined,
        },
        "Retrying Infrahub request after a transient failure",
      );
    });
  }

  /** Sends a JSON request and returns the parsed JSON body of the 2xx answer. */
  async json(spec: Omit<RequestSpec, "expect">, headers: HeaderSource): Promise<unknown> {
    return (await this.send({ ...spec, expect: "json" }, headers)).json;
  }

  /** Sends a request and returns the raw 2xx answer. */
  async raw(spec: Omit<RequestSpec, "expect">, headers: HeaderSource): Promise<TransportResponse> {
    return (await this.send({ ...spec, expect: "raw" }, headers)).response;
  }

  private async send(
    spec: RequestSpec,
    headers: HeaderSource,
  ): Promise<{ response: TransportResponse; json: unknown }> {
    try {
      return await this.retryPolicy.execute(async ({ attempt }) => {
        let sentHeaders: Record<string, string>;
        try {
          // Outside the breaker: a login triggered here runs through the breaker itself.
          sentHeaders = await headers();
        } catch (err) {
          throw new StopRetry(err);
        }
        return this.deps.breaker.execute(() => this.attempt(spec, sentHeaders, attempt + 1));
      });
    } catch (err) {
      throw err instanceof StopRetry ? err.inner : err;
    }
  }

  private async attempt(
    spec: RequestSpec,
    headers: Record<string, string>,
    attempt: number,
  ): Promise<{ response: TransportResponse; json: unknown }> {
    const { address, agent, options } = this.deps;
    const url = requestUrl(address, spec);
    const ctx: InfrahubCallContext = {
      address,
      endpoint: `${spec.method} ${url.pathname}${url.search}`,
    };
    const maxBytes = spec.maxBytes ?? JSON_RESPONSE_LIMIT;
    const started = performance.now();
    const observe = (status: number | "network-error"): void => {
      const durationMs = performance.now() - started;
      options.onRequest({
        endpoint: spec.endpoint,
        method: spec.method,
        status,
        durationMs,
        attempt,
      });
      options.logger.debug(
        { address, endpoint: spec.endpoint, status, durationMs: Math.round(durationMs), attempt },
        "Infrahub request",
      );
    };
    let response: TransportResponse;
    try {
      response = await sendRequest({
        url,
        method: spec.method,
        headers,
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        timeoutMs: options.timeoutMs,
        maxBytes,
        agent,
      });
    } catch (err) {
      observe("network-error");
      if (!(err instanceof TransportFailure)) throw err;
      throw errorForTransport(spec, ctx, this.scrubFailure(err), {
        timeoutMs: options.timeoutMs,
        maxBytes,
      });
    }
    observe(response.status);
    const json =
      spec.expect === "json" || response.status >= 300
        ? tryParseJson(response.body.toString("utf8"))
        : undefined;
    if (response.status >= 300) {
      const serverMessages = presentMessages(errorMessages(json), this.deps.secrets());
      const answer: AnswerFacts = {
        retryAfterMs: parseRetryAfter(response.headers["retry-after"], options.clock.now()),
        shed: String(response.headers["x-infrahub-admission"] ?? "").toLowerCase() === "shed",
      };
      // A bare 500 is Starlette's answer to any unhandled exception: Infrahub crashing on this
      // request (a stored query with variables it cannot digest) or Infrahub being broken. Only
      // for a stored query, where the operator cannot vouch for the document, ask which one.
      if (spec.storedQuery && response.status === 500 && json === undefined)
        answer.crashedOnRequest = await this.answersProbe(headers);
      throw errorForStatus(
        spec,
        { ...ctx, status: response.status, serverMessages },
        this.deps.authKind,
        answer,
      );
    }
    if (spec.expect === "json" && json === undefined) {
      throw new InfrahubInvalidResponseError(
        `Infrahub answered with a body that is not JSON (${JSON.stringify(bodyExcerpt(response.body, this.deps.secrets()))})`,
        { ...ctx, status: response.status },
        "This usually comes from a proxy or load balancer in front of Infrahub; it is retried automatically.",
        { retryable: true },
      );
    }
    return { response, json };
  }

  /**
   * Whether Infrahub answers `GET /api/info` (with the same credentials, which 1.11 checks there)
   * right now: one attempt, outside retry and breaker, reported to `onRequest` like any other.
   */
  private async answersProbe(headers: Record<string, string>): Promise<boolean> {
    const { address, agent, options } = this.deps;
    const started = performance.now();
    let status: number | "network-error" = "network-error";
    try {
      const res = await sendRequest({
        url: requestUrl(address, { path: "/api/info" }),
        method: "GET",
        headers,
        timeoutMs: options.timeoutMs,
        maxBytes: 64 * 1024,
        agent,
      });
      status = res.status;
    } catch {
      // unreachable: not a crash of the request
    }
    options.onRequest({
      endpoint: "GET /api/info",
      method: "GET",
      status,
      durationMs: performance.now() - started,
      attempt: 1,
    });
    return status === 200;
  }

  private scrubFailure(failure: TransportFailure): TransportFailure {
    const message = scrubSecrets(failure.message, this.deps.secrets());
    if (message === failure.message) return failure;
    return new TransportFailure(failure.kind, message, {
      code: failure.code,
      seenBytes: failure.seenBytes,
    });
  }
}
