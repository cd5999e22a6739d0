/**
 * The operator's error vocabulary. Every failure that crosses a module boundary is one of these,
 * so callers decide what to do from `retryable` and `reason` instead of duck-typing
 * whatever a transport threw.
 */
export class OperatorError extends Error {
  /** A short CamelCase reason, suitable for a condition reason or an Event reason. */
  readonly reason: string;
  /** True when trying again later, unchanged, may succeed (network, 5xx, 429, conflicts). */
  readonly retryable: boolean;
  /**
   * The message without what changes at every occurrence (a retry time), for Events: the
   * recorder folds repeats of one message into one Event with a count.
   */
  readonly eventMessage: string;

  constructor(
    message: string,
    opts: { reason: string; retryable: boolean; cause?: unknown; eventMessage?: string },
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.reason = opts.reason;
    this.retryable = opts.retryable;
    this.eventMessage = opts.eventMessage ?? message;
  }
}

/** True when `err` says that retrying later may help. Unknown errors are assumed transient. */
export function isRetryable(err: unknown): boolean {
  return err instanceof OperatorError ? err.retryable : true;
}

/** A message for logs, status and Events; never includes a stack. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === "string") return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}
