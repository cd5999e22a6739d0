import { OperatorError } from "../errors";

/**
 * Typed API errors. client-node's ApiException puts the status code, the whole body and the
 * response headers into its message (a Secret's refused values with it) and says nothing of
 * whether another try can help; status conditions need the API server's reason and causes, scrubbed
 * text, Retry-After and retryability.
 */

/** One `causes[]` entry of a Kubernetes Status (field-level detail of 409/422 answers). */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** A non-2xx answer, or no answer, from an API server. */
export class KubeApiError extends OperatorError {
  /** HTTP status; 0 when no response arrived. */
  readonly status: number;
  /** Status.reason from the API server: NotFound, AlreadyExists, Conflict, Invalid, Forbidden, ... */
  readonly apiReason: string | undefined;
  readonly causes: StatusCause[];
  readonly retryAfterMs: number | undefined;
  /** A write to a /status subresource: a 409 there only means "someone wrote first; try again". */
  readonly statusWrite: boolean;
  /** `PATCH /api/v1/...` for logs; kept out of the message, which status and Events show. */
  readonly request: string | undefined;
  /** The API server's own message (scrubbed), without anything added here. */
  readonly serverMessage: string | undefined;

  constructor(
    message: string,
    opts: {
      status: number;
      apiReason?: string;
      causes?: StatusCause[];
      retryAfterMs?: number;
      cause?: unknown;
      retryable?: boolean;
      statusWrite?: boolean;
      request?: string;
      serverMessage?: string;
    },
  ) {
    super(message, {
      reason:
        opts.status === 0 ? "KubernetesUnreachable" : `Kubernetes${opts.apiReason ?? opts.status}`,
      // No response, throttled, or a server-side failure: worth another try.
      retryable: opts.retryable ?? (opts.status === 0 || opts.status === 429 || opts.status >= 500),
      cause: opts.cause,
    });
    this.status = opts.status;
    this.apiReason = opts.apiReason;
    this.causes = opts.causes ?? [];
    this.retryAfterMs = opts.retryAfterMs;
    this.statusWrite = opts.statusWrite ?? false;
    this.request = opts.request;
    this.serverMessage = opts.serverMessage;
  }

  get notFound(): boolean {
    return this.status === 404;
  }

  get conflict(): boolean {
    return this.status === 409;
  }
}
