/**
 * The logging surface the library needs: a subset of pino's API, so Pepr's `Log` fits as is and
 * tests can pass a recording logger. Structured fields go first, the message second.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, msg?: string): void;
  info(fields: Record<string, unknown>, msg?: string): void;
  warn(fields: Record<string, unknown>, msg?: string): void;
  error(fields: Record<string, unknown>, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export const nullLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => nullLogger,
};

export interface LogRecord {
  level: "debug" | "info" | "warn" | "error";
  fields: Record<string, unknown>;
  msg?: string;
}

/** A logger that keeps every record in memory (tests assert on what was, and was not, logged). */
export function recordingLogger(
  records: LogRecord[] = [],
  bindings: Record<string, unknown> = {},
): Logger & { records: LogRecord[] } {
  const at =
    (level: LogRecord["level"]) =>
    (fields: Record<string, unknown>, msg?: string): void => {
      records.push({ level, fields: { ...bindings, ...fields }, msg });
    };
  return {
    records,
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: b => recordingLogger(records, { ...bindings, ...b }),
  };
}
