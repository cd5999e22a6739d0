import { Kind } from "graphql";
import { parseAt } from "./clock";
import { formatGraphQLError } from "./graphql-runner";
import type { Exchange } from "./http-io";
import type { QueryContext } from "./resolvers";
import type { SimCore } from "./sim-core";

/**
 * `POST /graphql[/{branch}]` in the order of infrahub-server 1.11.9's `graphql/app.py`:
 * credentials (a bad one is 401), branch (404, plain-string errors), method (GET is a bare 500:
 * the web frontend is not there), transport checks (400 plain strings), `?at=` parsing (400),
 * the query analyzer (anything it cannot digest, from a syntax error to a variable of the wrong
 * type, is an unhandled exception: bare 500), `?at=` before the branch (422), the anonymous
 * check (401), then validation and execution, always HTTP 200 from there on. Early errors use
 * the GraphQL error catalogue's envelope (string `code`, `http_status`, `data`).
 */
export async function graphql(core: SimCore, ex: Exchange): Promise<void> {
  const outcome = core.auth.authenticate(ex.credentials());
  if (outcome.kind === "error") return ex.graphqlError(401, outcome.message);

  const branch = branchFromPath(ex.path);
  if (!core.store.hasBranch(branch)) return ex.stringErrors(404, [`Branch: ${branch} not found.`]);

  if (ex.method === "GET") return ex.serverError();
  if (ex.method === "OPTIONS") return ex.send(200, "", { Allow: "GET, POST, OPTIONS" });

  const contentType = (ex.header("content-type") ?? "").split(";")[0];
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
  // `operation["query"]` on anything but an object with a query string raises in Infrahub.
  if (!isObject(operation) || typeof operation.query !== "string") return ex.serverError();
  const { query, variables, operationName } = operation;

  let at: number | undefined;
  if (ex.query.has("at")) {
    const raw = ex.query.get("at") ?? "";
    at = parseAt(raw);
    if (at === undefined) return ex.graphqlError(400, `Invalid time format for ${raw}`);
  }

  const prepared = core.runner.prepare(query);
  if (prepared.syntaxErrors) return ex.serverError();
  if (variables !== undefined && variables !== null && !isObject(variables))
    return ex.serverError();
  const opName = typeof operationName === "string" ? operationName : undefined;
  if (core.runner.variablesFail(prepared, variables ?? undefined, opName)) return ex.serverError();

  const isMutation = prepared.document!.definitions.some(
    d => d.kind === Kind.OPERATION_DEFINITION && d.operation === "mutation",
  );
  // Mutations always run at the current time; `?at=` is checked for queries only.
  if (at !== undefined && !isMutation) {
    const tooEarly = core.store.timeTooEarly(branch, at);
    if (tooEarly) return ex.graphqlError(422, tooEarly);
  }
  if (outcome.kind === "anonymous" && (!core.auth.allowAnonymous || isMutation)) {
    return ex.graphqlError(401, "Authentication is required to perform this operation");
  }
  if (prepared.validationErrors) {
    return ex.json(200, { data: null, errors: prepared.validationErrors.map(formatGraphQLError) });
  }

  const context: QueryContext = { branch, at: isMutation ? undefined : at };
  const result = core.runner.run(
    prepared.document!,
    core.rootValue,
    context,
    (variables ?? undefined) as Record<string, unknown> | undefined,
    opName,
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
