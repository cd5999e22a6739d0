import { login, logout, refresh } from "./auth-routes";
import { graphql } from "./graphql-route";
import type { Exchange } from "./http-io";
import { artifactContent, info, storageObject, storedQuery } from "./rest-routes";
import type { Handler, SimCore } from "./sim-core";

/** An endpoint label (the key of `requestCounts()` and fault matching) and what answers it. */
export interface Route {
  endpoint: string;
  handler: Handler;
}

const CATCH_ALL_METHODS = new Set(["GET", "POST", "PUT", "DELETE", "OPTIONS"]);
const GRAPHQL_METHODS = new Set(["GET", "POST", "OPTIONS"]);

/** FastAPI's answer when the path exists but not for this method; nothing else runs. */
function methodNotAllowed(allow: string) {
  return (_core: SimCore, ex: Exchange): void =>
    ex.json(405, { detail: "Method Not Allowed" }, { Allow: allow });
}

/** One path segment: no slash (FastAPI's `:str` converter). */
function segmentAfter(path: string, prefix: string): boolean {
  if (!path.startsWith(prefix)) return false;
  const rest = path.slice(prefix.length);
  return rest.length > 0 && !rest.includes("/");
}

/** Maps a request to its endpoint label and handler, mirroring Infrahub's route table. */
export function routeFor(method: string, path: string): Route {
  if (path === "/graphql" || path.startsWith("/graphql/")) {
    if (!GRAPHQL_METHODS.has(method))
      return { endpoint: `${method} /graphql`, handler: methodNotAllowed("POST, OPTIONS") };
    return { endpoint: `${method} /graphql`, handler: graphql };
  }
  if (method === "POST") {
    if (path === "/api/auth/login") return { endpoint: "POST /api/auth/login", handler: login };
    if (path === "/api/auth/refresh")
      return { endpoint: "POST /api/auth/refresh", handler: refresh };
    if (path === "/api/auth/logout") return { endpoint: "POST /api/auth/logout", handler: logout };
  }
  if ((method === "POST" || method === "GET") && segmentAfter(path, "/api/query/")) {
    return { endpoint: `${method} /api/query`, handler: storedQuery };
  }
  if (method === "GET") {
    if (segmentAfter(path, "/api/storage/object/"))
      return { endpoint: "GET /api/storage/object", handler: storageObject };
    if (segmentAfter(path, "/api/artifact/"))
      return { endpoint: "GET /api/artifact", handler: artifactContent };
    if (path === "/api/info") return { endpoint: "GET /api/info", handler: info };
  }
  if (path.startsWith("/api/")) return { endpoint: `${method} ${path}`, handler: apiNotFound };
  return { endpoint: `${method} ${path}`, handler: notFound };
}

/**
 * `api/__init__.py` catch-all: any other `/api/...` path (or a known path with another method)
 * is a 404 envelope for GET/POST/PUT/DELETE/OPTIONS; FastAPI answers other methods with 405.
 */
function apiNotFound(_core: SimCore, ex: Exchange): void {
  if (!CATCH_ALL_METHODS.has(ex.method)) return ex.json(405, { detail: "Method Not Allowed" });
  let rest = ex.path.slice("/api/".length);
  try {
    rest = decodeURIComponent(rest);
  } catch {
    // keep the raw path
  }
  ex.error(404, `The requested endpoint /api/${rest} does not exist`);
}

/**
 * Outside /api and /graphql Infrahub serves its web frontend, which the infrahub-server wheel
 * does not contain: every such path is an unhandled error there, a bare 500.
 */
function notFound(_core: SimCore, ex: Exchange): void {
  ex.serverError();
}
