/** Command-line options of `cli.ts`. */
export interface CliOptions {
  port: number;
  host: string;
  seed?: string;
  controlApi: boolean;
}

export const USAGE =
  "usage: infrahub-sim [--port <port>] [--host <host>] [--seed <file.yaml>] [--no-control-api]";

/** Parses the command line; throws an Error with a usage hint on anything unexpected. */
export function parseCliArgs(argv: string[]): CliOptions {
  const opts: CliOptions = { port: 8000, host: "127.0.0.1", controlApi: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined || next.startsWith("--"))
        throw new Error(`${arg} needs a value\n${USAGE}`);
      return next;
    };
    if (arg === "--port") {
      const port = Number(value());
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new Error(`--port must be 0-65535\n${USAGE}`);
      opts.port = port;
    } else if (arg === "--host") opts.host = value();
    else if (arg === "--seed") opts.seed = value();
    else if (arg === "--no-control-api") opts.controlApi = false;
    else if (arg === "--help" || arg === "-h") throw new Error(USAGE);
    else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  return opts;
}
