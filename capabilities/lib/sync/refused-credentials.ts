import { OperatorError } from "../errors";
import { InfrahubAuthError, type InfrahubAuthConfig } from "../infrahub";
import { SYNC_NOW_ANNOTATION } from "./markers";

/**
 * Infrahub refused a sync's credentials. The client does not send them again until they change
 * (see InfrahubAuth), so the status must say that the operator is waiting, and for what: the
 * Secret they come from to change, or a person asking for one more try.
 */
export class CredentialsRefusedError extends OperatorError {
  /** True when nothing was sent this time: the refusal was remembered from an earlier try. */
  readonly remembered: boolean;

  constructor(err: InfrahubAuthError, kind: InfrahubAuthConfig["kind"], credentialSource: string) {
    const what = kind === "token" ? "the API token" : "the login";
    const fix =
      kind === "token"
        ? `put a valid API token in ${credentialSource}`
        : `fix the username and password in ${credentialSource}`;
    super(
      `Infrahub ${err.address} refused ${what} (${err.answer}): ${fix}. ` +
        `The operator does not try these credentials again until that Secret changes ` +
        `(or the ${SYNC_NOW_ANNOTATION} annotation asks for one more try).`,
      { reason: err.reason, retryable: false, cause: err },
    );
    this.remembered = err.remembered;
  }
}

/** The error to report for `err`: refused credentials say so; everything else as it is. */
export function explainRefusal(
  err: unknown,
  refused: boolean,
  kind: InfrahubAuthConfig["kind"],
  credentialSource: string,
): unknown {
  return refused && err instanceof InfrahubAuthError && kind !== "anonymous"
    ? new CredentialsRefusedError(err, kind, credentialSource)
    : err;
}
