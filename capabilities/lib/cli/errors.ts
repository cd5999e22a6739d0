/**
 * A command that cannot do what was asked (bad arguments, a missing object): exit code 2. Not an
 * OperatorError: it is never reported in a status, only printed by the CLI.
 */
export class CliError extends Error {}
