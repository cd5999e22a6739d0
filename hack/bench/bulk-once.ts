import { benchBulkApply } from "./bulk-apply";
import { startBenchEnv } from "./env";

/**
 * The bulk apply benchmark (section 1) alone, printed as one `BULK-RESULT {json}` line and written
 * nowhere. ab-bulk.ts runs this same file in this tree and in an earlier commit's tree (it only
 * needs `startBenchEnv()` and `benchBulkApply(env, objects, runs)`, which both have had since
 * 1de643e), so both sides are measured by the same driver.
 */
async function main(): Promise<void> {
  const objects = Number(process.env.BULK_OBJECTS ?? 1000);
  const runs = Number(process.env.BULK_RUNS ?? 3);
  const env = await startBenchEnv();
  try {
    const r = await benchBulkApply(env, objects, runs);
    console.log(`BULK-RESULT ${JSON.stringify(r)}`);
  } finally {
    await env.stop();
  }
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
