/**
 * One real Infrahub per test run, shared by the files of tests/real-infrahub. Jest's global setup
 * of that project starts it without waiting (a warm start takes 1-2 minutes, a first one with
 * seeding about 7, and other test files run meanwhile) and publishes its progress in a state
 * file; test files wait for it with sharedInfrahub(). The global teardown stops it.
 *
 * With VIDRA_PEPR_REAL_INFRAHUB=up the tests use the stack of `npm run infrahub:up` instead
 * (quicker iterations while developing); it is left running.
 */
import { randomUUID } from "node:crypto";
import { appendFileSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InfrahubAdmin } from "../../../hack/real-infrahub/admin";
import { RealInfrahub, type RealInfrahubInfo } from "../../../hack/real-infrahub/stack";
import { readUpState } from "../../../hack/real-infrahub/up-state";
import { checkAgainstFixture, formatDifferences, REFERENCE_CREDENTIALS } from "../../contract";

const STATE_ENV = "VIDRA_PEPR_REAL_INFRAHUB_STATE";

/**
 * The contract suite (tests/contract) run against the fresh stack before any test changes it:
 * the recorded fixtures must still describe the real server (contract.test.ts reports it).
 */
export interface ContractCheck {
  differences: string;
  matching: number;
  total: number;
}

type SharedState =
  | { status: "starting"; log: string }
  | { status: "ready"; info: RealInfrahubInfo; log: string; contract?: ContractCheck }
  | { status: "failed"; error: string; log: string };

function writeState(file: string, state: SharedState): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(state));
  renameSync(`${file}.tmp`, file);
}

const BOOT = Symbol.for("vidra-pepr.real-infrahub.boot");
type WithBoot = typeof globalThis & { [BOOT]?: Promise<RealInfrahub | undefined> };

/** Jest global setup: starts the shared stack in the background. */
export function startSharedStack(): void {
  process.env.VIDRA_PEPR_RUN_ID ??= randomUUID();
  const file = join(tmpdir(), `vidra-pepr-real-infrahub-${process.env.VIDRA_PEPR_RUN_ID}.json`);
  const logFile = file.replace(/\.json$/, ".log");
  process.env[STATE_ENV] = file;
  writeFileSync(logFile, "");
  const log = (m: string) => appendFileSync(logFile, `${new Date().toISOString()} ${m}\n`);

  if (process.env.VIDRA_PEPR_REAL_INFRAHUB === "up") {
    const up = readUpState();
    writeState(
      file,
      up
        ? { status: "ready", info: up.info, log: logFile }
        : {
            status: "failed",
            error:
              "VIDRA_PEPR_REAL_INFRAHUB=up, but no stack from `npm run infrahub:up` is running",
            log: logFile,
          },
    );
    return;
  }
  writeState(file, { status: "starting", log: logFile });
  process.stderr.write(
    `\nreal Infrahub for this run starting in the background (log ${logFile})\n`,
  );
  (globalThis as WithBoot)[BOOT] = RealInfrahub.start({ name: "shared", log }).then(
    async ih => {
      const contract = await checkContract(ih.info, log);
      writeState(file, { status: "ready", info: ih.info, log: logFile, contract });
      return ih;
    },
    (err: Error) => {
      log(`failed: ${err.message}`);
      writeState(file, { status: "failed", error: err.message, log: logFile });
      return undefined;
    },
  );
}

export async function checkContract(
  info: RealInfrahubInfo,
  log: (m: string) => void,
): Promise<ContractCheck> {
  log("contract suite against the fresh stack");
  try {
    const { differences, count } = await checkAgainstFixture({
      url: info.url,
      credentials: {
        ...REFERENCE_CREDENTIALS,
        username: info.username,
        password: info.password,
        apiToken: info.token,
      },
    });
    const text = formatDifferences(differences, "the fixtures", "the real Infrahub");
    log(`contract: ${count.matching} of ${count.total} cases match`);
    return { differences: text, matching: count.matching, total: count.total };
  } catch (err) {
    return {
      differences: `the contract suite failed: ${(err as Error).message}`,
      matching: 0,
      total: 0,
    };
  }
}

/** Jest global teardown: stops the shared stack (after it finished starting, if it still was). */
export async function stopSharedStack(): Promise<void> {
  const ih = await (globalThis as WithBoot)[BOOT];
  await ih?.stop();
  const file = process.env[STATE_ENV];
  if (file) {
    rmSync(file, { force: true });
    rmSync(file.replace(/\.json$/, ".log"), { force: true });
  }
}

export interface SharedInfrahub {
  info: RealInfrahubInfo;
  admin: InfrahubAdmin;
  /** Undefined for a stack from `npm run infrahub:up` (not checked at its boot). */
  contract?: ContractCheck;
}

/** Waits for the run's shared real Infrahub (a first boot seeds a database: minutes). */
export async function sharedInfrahub(timeoutMs = 25 * 60_000): Promise<SharedInfrahub> {
  const file = process.env[STATE_ENV];
  if (!file)
    throw new Error(
      `${STATE_ENV} is not set: tests/real-infrahub run in Jest's real-infrahub project, whose global setup starts the stack`,
    );
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = JSON.parse(readFileSync(file, "utf8")) as SharedState;
    if (state.status === "ready")
      return {
        info: state.info,
        admin: new InfrahubAdmin(state.info.url, state.info.token),
        contract: state.contract,
      };
    if (state.status === "failed")
      throw new Error(`the shared real Infrahub did not start: ${state.error} (log ${state.log})`);
    if (Date.now() > deadline)
      throw new Error(
        `the shared real Infrahub was not ready after ${timeoutMs / 60_000} min (log ${state.log})`,
      );
    await new Promise(r => setTimeout(r, 2000));
  }
}
