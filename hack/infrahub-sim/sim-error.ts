import { OperatorError } from "../../capabilities/lib/errors";

/**
 * A misuse of the simulator's handle, seed or control API (unknown branch, bad input...). `status`
 * is what the control API answers with, so shell users see 400/404/409 rather than a crash.
 */
export class SimError extends OperatorError {
  readonly status: number;

  constructor(message: string, status: 400 | 404 | 409 = 400) {
    super(message, {
      reason: status === 404 ? "SimulatorNotFound" : "SimulatorInputInvalid",
      retryable: false,
    });
    this.status = status;
  }
}
