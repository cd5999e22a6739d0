import { startInfrahubSimulator, type InfrahubSimulator } from "../../hack/infrahub-sim";
import { compareRecordings, formatDifferences, loadFixture, matchCount } from "./compare";
import { INTENDED_DIFFERENCES } from "./intended-differences";
import { checkAgainstFixture } from "./index";
import { DEFAULT_FIXTURE, REFERENCE_CREDENTIALS } from "./reference";
import { runContract } from "./run";
import { contractSeed } from "./sim-seed";

/**
 * The simulator answers the contract suite like the recorded infrahub-server 1.11.9, except for
 * the documented intended differences. With INFRAHUB_CONTRACT_URL set, the same suite also runs
 * against that (reference-seeded) server and must match the fixtures exactly.
 */
describe("Infrahub contract", () => {
  const fixture = loadFixture(DEFAULT_FIXTURE);

  describe("simulator vs recorded infrahub-server", () => {
    let sim: InfrahubSimulator;
    beforeAll(async () => {
      sim = await startInfrahubSimulator({ seed: contractSeed(fixture.world) });
    });
    afterAll(() => sim.stop());

    it("answers every recorded case like Infrahub, except the intended differences", async () => {
      const recording = await runContract({ url: sim.url, credentials: REFERENCE_CREDENTIALS });
      const differences = compareRecordings(fixture, recording, { intended: INTENDED_DIFFERENCES });
      const count = matchCount(fixture, differences, INTENDED_DIFFERENCES);
      process.stdout.write(
        `contract: the simulator answers ${count.matching} of ${count.total} recorded cases like infrahub-server ${fixture.server.version}; ${count.intended} differ on purpose, ${count.differing} unexpectedly\n`,
      );
      expect(formatDifferences(differences, "the fixtures", "the simulator")).toBe(
        "the simulator answers every case like the fixtures\n",
      );
    });

    it("records every case against a real server (none skipped in the fixture)", () => {
      const skipped = Object.entries(fixture.cases).filter(([, c]) => "skipped" in c);
      expect(skipped).toEqual([]);
      expect(fixture.server.version).toBe("1.11.9");
    });
  });

  const realUrl = process.env.INFRAHUB_CONTRACT_URL;
  // Only defined when a server is given, so a run without one has no skipped test.
  if (realUrl)
    describe("real Infrahub at INFRAHUB_CONTRACT_URL vs the fixtures", () => {
      it("answers every case like the recording", async () => {
        const env = process.env;
        const { differences } = await checkAgainstFixture({
          url: realUrl!,
          credentials: {
            username: env.INFRAHUB_CONTRACT_USERNAME ?? REFERENCE_CREDENTIALS.username,
            password: env.INFRAHUB_CONTRACT_PASSWORD ?? REFERENCE_CREDENTIALS.password,
            apiToken: env.INFRAHUB_CONTRACT_API_TOKEN ?? REFERENCE_CREDENTIALS.apiToken,
            jwtSecret: env.INFRAHUB_CONTRACT_JWT_SECRET ?? REFERENCE_CREDENTIALS.jwtSecret,
          },
        });
        expect(formatDifferences(differences, "the fixtures", realUrl!)).toBe(
          `${realUrl} answers every case like the fixtures\n`,
        );
      });
    });
});
