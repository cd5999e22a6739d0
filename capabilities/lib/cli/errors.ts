import { OperatorError } from "../errors";

/** A command that cannot do what was asked (bad arguments, a missing object): exit code 2. */
export class CliError extends OperatorError {
  constructor(message: string) {
    super(message, { reason: "CliError", retryable: false });
  }
}
