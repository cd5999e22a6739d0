import { join } from "node:path";
import type { ContractCredentials } from "./types";

/** The fixtures recorded from infrahub-server 1.11.9 (`npm run contract:record`). */
export const DEFAULT_FIXTURE = join(__dirname, "fixtures", "infrahub-1.11.9.json");

/**
 * Credentials of the reference bring-up (shared/reference/real-infrahub/up.sh): admin/infrahub,
 * its initial admin token and its JWT secret. The simulator's contract seed uses the same.
 */
export const REFERENCE_CREDENTIALS: Required<ContractCredentials> = {
  username: "admin",
  password: "infrahub",
  apiToken: "06438eb2-8019-4776-878c-0941b1f1d1ec",
  jwtSecret: "327f747f-efac-42be-9e73-999f08f86b92",
};
