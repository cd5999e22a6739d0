import type { ArtifactStore } from "./artifact-store";
import type { AuthService } from "./auth";
import type { GraphQLRunner } from "./graphql-runner";
import type { Exchange } from "./http-io";
import { parseAt } from "./clock";
import type { ServerInfo } from "./resolvers";
import type { StoredQueries } from "./stored-queries";

/** Everything the route handlers share; one per simulator instance. */
export interface SimCore {
  store: ArtifactStore;
  auth: AuthService;
  runner: GraphQLRunner;
  rootValue: Record<string, unknown>;
  storedQueries: StoredQueries;
  info: ServerInfo;
}

export type Handler = (core: SimCore, ex: Exchange) => void | Promise<void>;

/**
 * `get_branch_params`: `?branch=` (default main; unknown → 400 envelope), then `?at=` (an
 * unparsable value → 400 "Invalid time format", a time before the branch or its origin was
 * created → 422). Answers and returns undefined on error.
 */
export function branchParams(
  core: SimCore,
  ex: Exchange,
): { branch: string; at?: number } | undefined {
  const branch = ex.query.get("branch") || "main";
  if (!core.store.hasBranch(branch)) {
    ex.error(400, `Branch: ${branch} not found.`);
    return undefined;
  }
  if (!ex.query.has("at")) return { branch };
  const rawAt = ex.query.get("at") ?? "";
  const at = parseAt(rawAt);
  if (at === undefined) {
    ex.error(400, `Invalid time format for ${rawAt}`);
    return undefined;
  }
  const tooEarly = core.store.timeTooEarly(branch, at);
  if (tooEarly) {
    ex.error(422, tooEarly);
    return undefined;
  }
  return { branch, at };
}

/**
 * `get_current_user` for REST: a bad credential is 401 even when anonymous access is on;
 * anonymous requests pass only for GET/OPTIONS with anonymous access allowed.
 * Answers and returns false when the request may not proceed.
 */
export function currentUser(core: SimCore, ex: Exchange): boolean {
  const outcome = core.auth.authenticate(ex.credentials());
  if (outcome.kind === "error") {
    ex.error(401, outcome.message);
    return false;
  }
  if (outcome.kind !== "anonymous") return true;
  if (core.auth.allowAnonymous && (ex.method === "GET" || ex.method === "OPTIONS")) return true;
  ex.error(401, "Authentication is required");
  return false;
}
