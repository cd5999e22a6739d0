import { Kind } from "graphql";
import { parseAt } from "./clock";
import { formatGraphQLError } from "./graphql-runner";
import type { Exchange } from "./http-io";
import type { QueryContext } from "./resolvers";
import type { SimCore } from "./sim-core";

/**
 * `POST /graphql[/{branch}]` in the order of Infrahub's `graphql/app.py`: credentials (a bad one
 * is 401), branch (404 with plain-string errors), transport checks (400 plain strings), the
 * permission check (anonymous), then validation and execution, always HTTP 200 from there on.
 */
export async function graphql(core: SimCore, ex: Exchange): Promise<void> {
  const outcome = core.auth.authenticate(ex.credentials());
  if (outcome.kind === "error") return ex.error(401, outcome.message);

  const branch = branchFromPath(ex.path);
  if (!core.store.hasBranch(branch)) return ex.stringErrors(404, [`Branch: ${branch} not found.`]);

  if (ex.method === "OPTIONS") return ex.send(200, "", { Allow: "GET, POST, OPTIONS" });
  // Infrahub answers GET with its web UI; the simulator has none.
  if (ex.method !== "POST") return ex.send(405, "", { Allow: "GET, POST, OPTIONS" });

  const contentType = (ex.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (contentType === "multipart/form-data") {
    // Uploads are accepted by Infrahub; the simulator does not parse multipart bodies.
    return ex.stringErrors(400, ["Request body is not a valid multipart/form-data"]);
  }
  if (contentType !== "application/json") {
    return ex.stringErrors(400, ["Content-type must be application/json or multipart/form-data"]);
  }
  let operation: unknown;
  try {
    operation = JSON.parse(await ex.body());
  } catch {
    return ex.stringErrors(400, ["Request body is not a valid JSON"]);
  }
  if (Array.isArray(operation))
    return ex.stringErrors(400, ["This server does not support batching"]);
  // Conservative: real Infrahub fails with a 500 on a non-object body or a missing query.
  if (!isObject(operation)) return ex.stringErrors(400, ["Request body is not a valid JSON"]);
  const { query, variables, operationName } = operation;
  if (typeof query !== "string" || !query.trim())
    return ex.stringErrors(400, ["Must provide query string."]);
  if (variables !== undefined && variables !== null && !isObject(variables)) {
    return ex.stringErrors(400, [
      "Variables must be provided as an Object where each property is a variable value.",
    ]);
  }

  const rawAt = ex.query.get("at");
  const at = rawAt ? parseAt(rawAt) : undefined;
  if (rawAt && at === undefined) return ex.error(400, `Invalid time format for ${rawAt}`);

  const prepared = core.runner.prepare(query);
  if (prepared.syntaxErrors)
    return ex.json(200, { data: null, errors: prepared.syntaxErrors.map(formatGraphQLError) });

  const isMutation = prepared.document!.definitions.some(
    d => d.kind === Kind.OPERATION_DEFINITION && d.operation === "mutation",
  );
  if (outcome.kind === "anonymous" && (!core.auth.allowAnonymous || isMutation)) {
    return ex.error(401, "Authentication is required to perform this operation");
  }
  if (prepared.validationErrors) {
    return ex.json(200, { data: null, errors: prepared.validationErrors.map(formatGraphQLError) });
  }

  const context: QueryContext = { branch, at };
  const result = core.runner.run(
    prepared.document!,
    core.rootValue,
    context,
    (variables ?? undefined) as Record<string, unknown> | undefined,
    typeof operationName === "string" ? operationName : undefined,
  );
  ex.json(200, result);
}

/** `/graphql` → main; `/graphql/feature%2Fx` and `/graphql/feature/x` → "feature/x". */
function branchFromPath(path: string): string {
  const raw = path.slice("/graphql".length).replace(/^\//, "");
  if (!raw) return "main";
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
