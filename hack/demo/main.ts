/**
 * The demo process itself (hack/demo.ts starts it in its own process group; see there why). It can
 * also be run directly: `npx tsx hack/demo/main.ts [--ci]`.
 */
import { errorMessage } from "../../capabilities/lib/errors";
import { demoConfig } from "./demo-config";
import { runDemo } from "./run-demo";

async function main(): Promise<number> {
  const say = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  let config;
  try {
    config = demoConfig(process.env, process.argv.slice(2));
  } catch (err) {
    say(`npm start: ${errorMessage(err)}`);
    return 2;
  }
  return runDemo(config, {
    out: process.stdout,
    say: line => say(line.startsWith("  ") || line.includes("\n") ? line : `▸ ${line}`),
  });
}

main().then(
  code => process.exit(code),
  err => {
    process.stderr.write(`npm start failed: ${errorMessage(err)}\n`);
    process.exit(1);
  },
);
