/**
 * Records the Infrahub contract fixtures from a running, seeded Infrahub (see tests/contract/README.md):
 *
 *   npm run contract:record -- --url http://127.0.0.1:8000 [--username admin] [--password infrahub]
 *     [--api-token 0643…] [--jwt-secret …] [--out tests/contract/fixtures/infrahub-1.11.9.json]
 *   npm run contract:record -- --url … --compare   # compare with the fixtures instead of writing
 *
 * Defaults are the reference seed's (shared/reference/real-infrahub/up.sh). Also reads
 * INFRAHUB_CONTRACT_URL, _USERNAME, _PASSWORD, _API_TOKEN and _JWT_SECRET.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { compareRecordings, formatDifferences, loadFixture } from "../tests/contract/compare";
import { DEFAULT_FIXTURE, REFERENCE_CREDENTIALS } from "../tests/contract/reference";
import { runContract } from "../tests/contract/run";
import type { ContractTarget } from "../tests/contract/types";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      url: { type: "string" },
      username: { type: "string" },
      password: { type: "string" },
      "api-token": { type: "string" },
      "jwt-secret": { type: "string" },
      out: { type: "string" },
      compare: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const env = process.env;
  const url = values.url ?? env.INFRAHUB_CONTRACT_URL;
  if (values.help || !url) {
    process.stderr.write(
      "usage: npm run contract:record -- --url <infrahub url> [--username u] [--password p] [--api-token t] [--jwt-secret s] [--out file] [--compare]\n",
    );
    return values.help ? 0 : 2;
  }
  const target: ContractTarget = {
    url,
    credentials: {
      username: values.username ?? env.INFRAHUB_CONTRACT_USERNAME ?? REFERENCE_CREDENTIALS.username,
      password: values.password ?? env.INFRAHUB_CONTRACT_PASSWORD ?? REFERENCE_CREDENTIALS.password,
      apiToken:
        values["api-token"] ?? env.INFRAHUB_CONTRACT_API_TOKEN ?? REFERENCE_CREDENTIALS.apiToken,
      jwtSecret:
        values["jwt-secret"] ?? env.INFRAHUB_CONTRACT_JWT_SECRET ?? REFERENCE_CREDENTIALS.jwtSecret,
    },
  };
  const recording = await runContract(target);
  const out = values.out ?? DEFAULT_FIXTURE;
  if (values.compare) {
    const differences = compareRecordings(loadFixture(out), recording, { intended: [] });
    process.stdout.write(formatDifferences(differences, "fixture", url));
    return differences.length === 0 ? 0 : 1;
  }
  recording.recordedAt = new Date().toISOString();
  writeFileSync(out, `${JSON.stringify(recording, null, 2)}\n`);
  const counts = Object.values(recording.cases).reduce(
    (acc, c) =>
      "skipped" in c ? { ...acc, skipped: acc.skipped + 1 } : { ...acc, run: acc.run + 1 },
    { run: 0, skipped: 0 },
  );
  process.stdout.write(
    `recorded ${counts.run} cases (${counts.skipped} skipped) from Infrahub ${recording.server.version} at ${url} into ${out}\n`,
  );
  return 0;
}

main().then(
  code => process.exit(code),
  err => {
    process.stderr.write(`contract:record: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
