import { checkQueryPayload, decodeJsonBody } from "./fastapi-validation";
import { formatGraphQLError, type FormattedResult } from "./graphql-runner";
import type { Exchange } from "./http-io";
import { branchParams, currentUser, type SimCore } from "./sim-core";

/** Query parameters of `GET /api/query/{id}` that are not variables (`api/query.py`). */
const NOT_VARIABLES = new Set(["branch", "at", "update_group", "subscribers"]);

function pathTail(ex: Exchange, prefix: string): string {
  const raw = ex.path.slice(prefix.length);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * `POST|GET /api/query/{id or name}`: runs a stored query, in FastAPI's order: the JSON body is
 * decoded first (422 `json_invalid`), then the dependencies run (branch 400, `at` 400/422,
 * credentials 401), then the body is validated (422), then the query is looked up (404
 * `CoreGraphQLQuery`). Variables that do not fit the document crash Infrahub's analyzer (bare
 * 500). Success is `{"data": ...}`; errors while it runs follow `graphql/utils.py::extract_data`:
 * HTTP 502 (`GraphQLQueryError`) whose envelope messages are objects
 * `{"message": "GraphQLQuery <name>: ...", "path", "locations"}`, not strings.
 * `update_group` and `subscribers` are accepted and ignored (the simulator has no groups).
 */
export async function storedQuery(core: SimCore, ex: Exchange): Promise<void> {
  const decoded = ex.method === "POST" ? decodeJsonBody(await ex.body()) : undefined;
  if (decoded && !decoded.ok) return ex.json(422, { detail: decoded.detail });
  const params = branchParams(core, ex);
  if (!params || !currentUser(core, ex)) return;
  let variables: Record<string, unknown>;
  if (decoded) {
    const payload = checkQueryPayload(decoded.value);
    if (!payload.ok) return ex.json(422, { detail: payload.detail });
    variables = payload.value;
  } else {
    variables = {};
    for (const [key, value] of ex.query) if (!NOT_VARIABLES.has(key)) variables[key] = value;
  }
  const name = pathTail(ex, "/api/query/");
  const stored = core.storedQueries.get(name);
  if (!stored)
    return ex.error(404, `Unable to find the node ${name} / CoreGraphQLQuery in the database.`);

  const prepared = core.runner.prepare(stored.query);
  if (!prepared.document || core.runner.variablesFail(prepared, variables, undefined))
    return ex.serverError();
  const result: FormattedResult = prepared.validationErrors
    ? { data: null, errors: prepared.validationErrors.map(formatGraphQLError) }
    : core.runner.run(
        prepared.document,
        core.rootValue,
        { branch: params.branch, at: params.at },
        variables,
        undefined,
      );
  if (result.errors) {
    const errors = result.errors.map(e => ({
      message: {
        message: `GraphQLQuery ${stored.name}: ${e.message}`,
        path: e.path ?? null,
        locations: e.locations ?? [],
      },
      extensions: { code: 502 },
    }));
    return ex.json(502, { data: null, errors });
  }
  ex.json(200, { data: result.data ?? {} });
}

/**
 * `GET /api/storage/object/{storage_id}`: the raw content with no Content-Type header at all
 * (Starlette `Response` without media type). Not branch-aware; `?branch=` is ignored.
 */
export function storageObject(core: SimCore, ex: Exchange): void {
  if (!currentUser(core, ex)) return;
  const id = pathTail(ex, "/api/storage/object/");
  const content = core.store.readContent(id);
  if (content === undefined)
    return ex.error(404, `Unable to find the node ${id} / StorageObject in the database.`);
  ex.send(200, content);
}

/**
 * `GET /api/artifact/{artifact_id}?branch=&at=`: the artifact's current (or `at`) content with
 * `Content-Type` set to its content_type verbatim. A null storage_id gives the newer servers'
 * `None / StorageObject` 404 (1.0 crashed with a 500 there).
 */
export function artifactContent(core: SimCore, ex: Exchange): void {
  const params = branchParams(core, ex);
  if (!params || !currentUser(core, ex)) return;
  const id = pathTail(ex, "/api/artifact/");
  const artifact = core.store.get(params.branch, id, params.at);
  if (!artifact) {
    const kind = otherNodeKind(core, id);
    return ex.error(
      404,
      kind
        ? `Node with id ${id} exists, but it is a ${kind}, not CoreArtifact`
        : `Unable to find the node ${id} / CoreArtifact in the database.`,
    );
  }
  if (artifact.storageId === null)
    return ex.error(404, "Unable to find the node None / StorageObject in the database.");
  const content = core.store.readContent(artifact.storageId);
  if (content === undefined) {
    return ex.error(
      404,
      `Unable to find the node ${artifact.storageId} / StorageObject in the database.`,
    );
  }
  ex.send(200, content, { "Content-Type": artifact.contentType });
}

/** The kind of a node that is not an artifact (`get_one(kind=CoreArtifact)` names it), if any. */
function otherNodeKind(core: SimCore, id: string): string | undefined {
  const target = core.store.target(id);
  if (target) return target.kind;
  if (core.store.catalog.definitionById(id)) return "CoreArtifactDefinition";
  if (core.storedQueries.getById(id)) return "CoreGraphQLQuery";
  return undefined;
}

/** `GET /api/info`: like every REST GET, anonymous when allowed, and a bad credential is a 401. */
export function info(core: SimCore, ex: Exchange): void {
  if (!currentUser(core, ex)) return;
  ex.json(200, { deployment_id: core.info.deploymentId, version: core.info.version });
}
