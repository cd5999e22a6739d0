import { randomUUID } from "node:crypto";

/** Tags every process the test harness starts in this run, so teardown can find stragglers. */
export default function globalSetup(): void {
  process.env.VIDRA_PEPR_RUN_ID ??= randomUUID();
}
