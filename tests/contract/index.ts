/**
 * The Infrahub contract suite (hack/infrahub-sim/README.md, "The contract"). For a harness that
 * brings up a reference-seeded Infrahub:
 *
 *   const { differences, count } = await checkAgainstFixture({ url, credentials });
 *   expect(differences).toEqual([]);
 */
import { compareRecordings, loadFixture, matchCount, type Difference } from "./compare";
import { DEFAULT_FIXTURE } from "./reference";
import { runContract } from "./run";
import type { ContractTarget } from "./types";

export { compareRecordings, formatDifferences, loadFixture, matchCount } from "./compare";
export type { Difference, IntendedDifference } from "./compare";
export { DEFAULT_SEED_NAMES } from "./facts";
export { INTENDED_DIFFERENCES } from "./intended-differences";
export { DEFAULT_FIXTURE, REFERENCE_CREDENTIALS } from "./reference";
export { runContract } from "./run";
export { contractSeed } from "./sim-seed";
export type * from "./types";

/**
 * Runs the suite against `target` (a real Infrahub holding the reference seed) and compares it
 * with the recorded fixture, allowing no difference at all.
 */
export async function checkAgainstFixture(
  target: ContractTarget,
  fixturePath: string = DEFAULT_FIXTURE,
): Promise<{ differences: Difference[]; count: ReturnType<typeof matchCount> }> {
  const fixture = loadFixture(fixturePath);
  const recording = await runContract(target);
  const differences = compareRecordings(fixture, recording, { intended: [] });
  return { differences, count: matchCount(fixture, differences) };
}
