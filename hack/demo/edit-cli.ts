/**
 * `npm run demo:edit -- <target> key=value...`: see edit.ts. Finds the running demo through its
 * state file (.cluster/demo.json, or DEMO_STATE_FILE).
 */
import { errorMessage } from "../../capabilities/lib/errors";
import { demoConfig } from "./demo-config";
import { readDemoState } from "./demo-state";
import { parseEditArgs, runEdit } from "./edit";
import { DemoError } from "./demo-error";

async function main(): Promise<void> {
  const args = parseEditArgs(process.argv.slice(2));
  const { stateFile } = demoConfig({ DEMO_STATE_FILE: process.env.DEMO_STATE_FILE });
  const state = readDemoState(stateFile);
  if (!state.simulatorUrl) {
    throw new DemoError(
      "the running demo uses your own Infrahub (remote mode): change the artifact there; demo:edit drives the local demo's simulator",
      "NoSimulator",
    );
  }
  const message = await runEdit(state.simulatorUrl, args, state.pollInterval, state.push);
  process.stdout.write(args.print ? message : `${message}\n`);
  if (!args.print && args.branch !== state.branch) {
    process.stdout.write(
      `note: the sync reads branch ${state.branch}, so this shows once it reads ${args.branch}\n`,
    );
  }
}

main().catch(err => {
  process.stderr.write(`demo:edit: ${errorMessage(err)}\n`);
  process.exit(err instanceof DemoError && err.reason === "Usage" ? 0 : 1);
});
