import { reapOrphans } from "./control-plane/processes";

/**
 * Tests stop what they start in afterAll; a test worker killed on a timeout cannot. Whatever this
 * run left behind is killed here, and said, so a leak does not go unnoticed.
 */
export default function globalTeardown(): void {
  const killed = reapOrphans({ runId: process.env.VIDRA_PEPR_RUN_ID });
  if (killed > 0)
    process.stderr.write(`\nglobal teardown: killed ${killed} process(es) a test left running\n`);
}
