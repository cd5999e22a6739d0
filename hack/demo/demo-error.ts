import { OperatorError } from "../../capabilities/lib/errors";

/**
 * Something the person running the demo can fix: a bad setting or key=value, no running demo, a
 * build that failed. The message says what to do; none is worth retrying unchanged.
 */
export class DemoError extends OperatorError {
  constructor(message: string, reason = "DemoInputInvalid") {
    super(message, { reason, retryable: false });
  }
}
