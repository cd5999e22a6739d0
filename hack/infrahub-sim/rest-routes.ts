import { checkQueryPayload } from "./fastapi-validation";
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
 * `POST|GET /api/query/{id or name}`: runs a stored query. Dependencies first (branch 400, then
 * credentials 401), then the body (422), then the look-up (404 `CoreGraphQLQuery`). Success is
 * `{"data": ...}`. Errors follow `graphql/utils.py::extract_data`: every message is prefixed
 * with `GraphQLQuery <name>: ` and the answer is HTTP 502 (`GraphQLQueryError`), not a 200.
 * `update_group` and `subscribers` are accepted and ignored (the simulator has no groups).
 */
export async function storedQuery(core: SimCore, ex: Exchange): Promise<void> {
  const params = branchParams(core, ex);
  if (!params || !currentUser(core, ex)) return;
  let variables: Record<string, unknown>;
  if (ex.method === "POST") {
    const payload = checkQueryPayload(await ex.body());
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
  const problems = prepared.syntaxErrors ?? prepared.validationErrors;
  const result: FormattedResult = problems
    ? { data: null, errors: problems.map(formatGraphQLError) }
    : core.runner.run(
        prepared.document!,
        core.rootValue,
        { branch: params.branch, at: params.at },
        variables,
        undefined,
      );
  if (result.errors) {
    const errors = result.errors.map(e => ({
      message: `GraphQLQuery ${stored.name}: ${e.message}`,
      path: e.path ?? null,
      locations: e.locations ?? [],
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
  if (!artifact)
    return ex.error(404, `Unable to find the node ${id} / CoreArtifact in the database.`);
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

/** `GET /api/info`: no authentication at all, so even a bad credential gets an answer. */
export function info(core: SimCore, ex: Exchange): void {
  ex.json(200, { deployment_id: core.info.deploymentId, version: core.info.version });
}
