/**
 * Runs the Infrahub simulator as a process:
 *   npx tsx hack/infrahub-sim/cli.ts --port 8000 [--host 127.0.0.1] [--seed seed.yaml] [--no-control-api]
 * Prints the URL and the control API address, and stops cleanly on SIGINT/SIGTERM.
 */
import { parseCliArgs, type CliOptions } from "./cli-args";

async function main(): Promise<void> {
  let opts: CliOptions;
  try {
    opts = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  // graphql-js runs extra development-mode type checks unless NODE_ENV is production; they cost a
  // third of the time of a large query. It reads NODE_ENV when first loaded, hence the late import.
  process.env.NODE_ENV ??= "production";
  const { startInfrahubSimulator } = await import("./simulator");
  const sim = await startInfrahubSimulator({
    port: opts.port,
    host: opts.host,
    seed: opts.seed,
    controlApi: opts.controlApi,
  });
  // One write, so a reader that waits for the first line also gets the second.
  process.stdout.write(
    `Infrahub simulator listening on ${sim.url}\n` +
      (opts.controlApi ? `Control API: ${sim.url}/__sim/ (see hack/infrahub-sim/README.md)\n` : ""),
  );
  const shutdown = (signal: string): void => {
    process.stdout.write(`Received ${signal}, stopping the Infrahub simulator\n`);
    void sim.stop().then(() => process.exit(0));
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch(err => {
  process.stderr.write(`infrahub-sim: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
