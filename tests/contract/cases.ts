import {
  FIND_ARTIFACTS_BATCH_OPERATION,
  FIND_ARTIFACTS_OPERATION,
  FIND_ARTIFACTS_QUERY,
  findArtifactsBatchQuery,
} from "../../capabilities/lib/infrahub/artifact-documents";
import type { ArtifactFacts, Facts } from "./facts";
import type { RawResponse } from "./http";
import type { ContractCredentials, ContractRequest, SeedNames } from "./types";

export interface Tokens {
  access: string;
  refresh: string;
}

/** What a case can use to build its request. */
export interface CaseContext {
  facts: Facts;
  names: SeedNames;
  credentials: ContractCredentials;
  /** `X-INFRAHUB-KEY` with the API token. */
  key: Record<string, string>;
  art(label: string, branch?: string): ArtifactFacts;
  /** One login shared by the read-only cases. */
  session(): Promise<Tokens>;
  /** A new login (a session of its own, e.g. to log out of). */
  freshSession(): Promise<Tokens>;
  /** The token re-signed: expired an hour ago, or with a key the server does not know. */
  forge(token: string, how: "expired" | "wrong-key"): string;
  /** Sends a preparatory request (not observed). */
  send(req: ContractRequest): Promise<RawResponse>;
}

export interface ContractCase {
  /** Stable id, `<group>/<name>`: the key in the fixture file. */
  id: string;
  about: string;
  /** Response headers to record besides Content-Type (lower case). */
  headers?: string[];
  /**
   * The answer is a page whose content depends on the server's order (name, then random id):
   * keep the order and name artifacts by rank (see Normaliser).
   */
  byRank?: boolean;
  request(ctx: CaseContext): ContractRequest | Promise<ContractRequest>;
}

/** Thrown by a case that cannot run on this target (e.g. no JWT secret to forge with). */
export class SkipCase extends Error {}

const enc = encodeURIComponent;
const JSON_CT = { "Content-Type": "application/json" };

function gql(
  query: string,
  opts: {
    variables?: unknown;
    operationName?: string;
    branch?: string;
    at?: string;
    headers?: Record<string, string>;
  } = {},
): ContractRequest {
  const path = opts.branch === undefined ? "/graphql" : `/graphql/${enc(opts.branch)}`;
  const body: Record<string, unknown> = { query };
  if (opts.variables !== undefined) body.variables = opts.variables;
  if (opts.operationName !== undefined) body.operationName = opts.operationName;
  return {
    method: "POST",
    path: opts.at === undefined ? path : `${path}?at=${enc(opts.at)}`,
    headers: { ...JSON_CT, ...opts.headers },
    body,
  };
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const INFO = "{ InfrahubInfo { version } }";
const COUNT = (names: SeedNames) =>
  `{ CoreArtifact(name__value: "${names.artifactName}") { count } }`;
/** Ids, targets and checksums of the seeded artifacts: what the operator reads. */
const LIST = `query List($name: String) {
  CoreArtifact(name__value: $name) {
    count
    edges { node { id checksum { value } storage_id { value } status { value } object { node { id display_label } } } }
  }
}`;
const PAGE = `query Page($name: String, $offset: Int, $limit: Int) {
  CoreArtifact(name__value: $name, offset: $offset, limit: $limit) {
    count
    edges { node { id object { node { display_label } } } }
  }
}`;
const FILTERED = (args: string) =>
  `{ CoreArtifact(${args}) { count edges { node { id object { node { display_label } } } } } }`;
const list = (
  ctx: CaseContext,
  opts: { branch?: string; at?: string; headers?: Record<string, string> } = {},
) => gql(LIST, { variables: { name: ctx.names.artifactName }, headers: ctx.key, ...opts });

function storedQuery(
  name: string,
  opts: {
    body?: string | object;
    qs?: string;
    headers?: Record<string, string>;
    method?: string;
  } = {},
): ContractRequest {
  return {
    method: opts.method ?? "POST",
    path: `/api/query/${enc(name)}${opts.qs ?? ""}`,
    headers:
      opts.body === undefined || typeof opts.body === "object"
        ? opts.headers
        : { ...JSON_CT, ...opts.headers },
    body: opts.body,
  };
}

function login(body: string | object): ContractRequest {
  return { method: "POST", path: "/api/auth/login", headers: JSON_CT, body };
}

const password = (ctx: CaseContext) => ({
  username: ctx.credentials.username,
  password: ctx.credentials.password,
});

const DOWNLOAD_HEADERS = ["content-length", "content-disposition"];

export const CASES: ContractCase[] = [
  // ---------------------------------------------------------------- auth: login, refresh, logout
  {
    id: "auth/login",
    about: "password login: both tokens in the body and as cookies",
    headers: ["set-cookie"],
    request: ctx => login(password(ctx)),
  },
  {
    id: "auth/login-wrong-password",
    about: "wrong password",
    request: ctx => login({ ...password(ctx), password: "not-the-password" }),
  },
  {
    id: "auth/login-unknown-user",
    about: "unknown user is a 404",
    request: () => login({ username: "nobody-here", password: "x" }),
  },
  {
    id: "auth/login-missing-field",
    about: "FastAPI body validation, not Infrahub's envelope",
    request: ctx => login({ username: ctx.credentials.username }),
  },
  {
    id: "auth/login-wrong-type",
    about: "a number where a string is due",
    request: ctx => login({ username: ctx.credentials.username, password: 12345 }),
  },
  {
    id: "auth/login-not-object",
    about: "a JSON array as body",
    request: () => login("[1, 2]"),
  },
  {
    id: "auth/login-invalid-json",
    about: "a body that is not JSON",
    request: () => login('{"username": admin}'),
  },
  {
    id: "auth/login-empty-body",
    about: "no body at all",
    request: () => ({ method: "POST", path: "/api/auth/login", headers: JSON_CT }),
  },
  {
    id: "auth/refresh-bearer",
    about: "refresh token as Bearer: a new access token, refresh token not rotated",
    headers: ["set-cookie"],
    request: async ctx => ({
      method: "POST",
      path: "/api/auth/refresh",
      headers: bearer((await ctx.session()).refresh),
    }),
  },
  {
    id: "auth/refresh-cookie",
    about: "refresh token as the refresh_token cookie",
    request: async ctx => ({
      method: "POST",
      path: "/api/auth/refresh",
      headers: { Cookie: `refresh_token=${(await ctx.session()).refresh}` },
    }),
  },
  {
    id: "auth/refresh-with-access-token",
    about: "an access token where the refresh token is due",
    request: async ctx => ({
      method: "POST",
      path: "/api/auth/refresh",
      headers: bearer((await ctx.session()).access),
    }),
  },
  {
    id: "auth/refresh-without-token",
    about: "no token",
    request: () => ({ method: "POST", path: "/api/auth/refresh" }),
  },
  {
    id: "auth/refresh-garbage",
    about: "a token that is not a JWT",
    request: () => ({ method: "POST", path: "/api/auth/refresh", headers: bearer("garbage") }),
  },
  {
    id: "auth/refresh-expired",
    about: "an expired refresh token",
    request: async ctx => ({
      method: "POST",
      path: "/api/auth/refresh",
      headers: bearer(ctx.forge((await ctx.session()).refresh, "expired")),
    }),
  },
  {
    id: "auth/refresh-wrong-key",
    about: "a refresh token signed with another key",
    request: async ctx => ({
      method: "POST",
      path: "/api/auth/refresh",
      headers: bearer(ctx.forge((await ctx.session()).refresh, "wrong-key")),
    }),
  },
  {
    id: "auth/logout",
    about: "logout with the access token clears both cookies",
    headers: ["set-cookie"],
    request: async ctx => ({
      method: "POST",
      path: "/api/auth/logout",
      headers: bearer((await ctx.freshSession()).access),
    }),
  },
  {
    id: "auth/refresh-after-logout",
    about: "the session's refresh token is invalidated by logout",
    request: async ctx => {
      const tokens = await ctx.freshSession();
      await ctx.send({ method: "POST", path: "/api/auth/logout", headers: bearer(tokens.access) });
      return { method: "POST", path: "/api/auth/refresh", headers: bearer(tokens.refresh) };
    },
  },
  {
    id: "auth/access-after-logout",
    about: "an access token keeps working after logout until it expires",
    request: async ctx => {
      const tokens = await ctx.freshSession();
      await ctx.send({ method: "POST", path: "/api/auth/logout", headers: bearer(tokens.access) });
      return gql(INFO, { headers: bearer(tokens.access) });
    },
  },
  {
    id: "auth/logout-with-refresh-token",
    about: "a refresh token where the access token is due",
    request: async ctx => ({
      method: "POST",
      path: "/api/auth/logout",
      headers: bearer((await ctx.session()).refresh),
    }),
  },
  {
    id: "auth/logout-without-token",
    about: "no token",
    request: () => ({ method: "POST", path: "/api/auth/logout" }),
  },
  {
    id: "auth/login-get",
    about: "GET on a POST-only route falls through to the /api catch-all",
    request: () => ({ method: "GET", path: "/api/auth/login" }),
  },

  // ---------------------------------------------------------------- credentials on GraphQL
  {
    id: "gql-auth/access-token",
    about: "access token as Bearer",
    request: async ctx => gql(INFO, { headers: bearer((await ctx.session()).access) }),
  },
  {
    id: "gql-auth/access-cookie",
    about: "access token as the access_token cookie",
    request: async ctx =>
      gql(INFO, { headers: { Cookie: `access_token=${(await ctx.session()).access}` } }),
  },
  {
    id: "gql-auth/lower-case-scheme",
    about: "`bearer` in lower case",
    request: async ctx =>
      gql(INFO, { headers: { Authorization: `bearer ${(await ctx.session()).access}` } }),
  },
  {
    id: "gql-auth/expired",
    about: "an expired access token: string code TOKEN_EXPIRED and http_status",
    request: async ctx =>
      gql(INFO, { headers: bearer(ctx.forge((await ctx.session()).access, "expired")) }),
  },
  {
    id: "gql-auth/wrong-key",
    about: "an access token signed with another key",
    request: async ctx =>
      gql(INFO, { headers: bearer(ctx.forge((await ctx.session()).access, "wrong-key")) }),
  },
  {
    id: "gql-auth/garbage",
    about: "a Bearer value that is not a JWT",
    request: () => gql(INFO, { headers: bearer("garbage") }),
  },
  {
    id: "gql-auth/refresh-as-access",
    about: "a refresh token where the access token is due",
    request: async ctx => gql(INFO, { headers: bearer((await ctx.session()).refresh) }),
  },
  {
    id: "gql-auth/api-key",
    about: "X-INFRAHUB-KEY",
    request: ctx => gql(INFO, { headers: ctx.key }),
  },
  {
    id: "gql-auth/bad-api-key",
    about: "an unknown X-INFRAHUB-KEY",
    request: () => gql(INFO, { headers: { "X-INFRAHUB-KEY": "not-a-token" } }),
  },
  {
    id: "gql-auth/api-key-wins",
    about: "a good API key wins over a garbage Bearer",
    request: ctx => gql(INFO, { headers: { ...ctx.key, ...bearer("garbage") } }),
  },
  {
    id: "gql-auth/anonymous-query",
    about: "anonymous read (anonymous access is on by default)",
    request: ctx => gql(COUNT(ctx.names)),
  },
  {
    id: "gql-auth/anonymous-mutation",
    about: "anonymous mutation",
    request: () => gql('mutation { BranchCreate(data: {name: "nope"}) { ok } }'),
  },
  {
    id: "gql-auth/basic-scheme",
    about: "another Authorization scheme is ignored: anonymous",
    request: ctx =>
      gql(COUNT(ctx.names), { headers: { Authorization: "Basic YWRtaW46aW5mcmFodWI=" } }),
  },

  // ---------------------------------------------------------------- credentials on REST
  {
    id: "rest-auth/query-anonymous",
    about: "anonymous POST to a stored query",
    request: ctx => storedQuery(ctx.names.storedQueries.artifactIds, { body: { variables: {} } }),
  },
  {
    id: "rest-auth/query-get-anonymous",
    about: "anonymous GET of a stored query",
    request: ctx => storedQuery(ctx.names.storedQueries.artifactIds, { method: "GET" }),
  },
  {
    id: "rest-auth/query-expired",
    about: "expired access token on REST: integer code",
    request: async ctx =>
      storedQuery(ctx.names.storedQueries.artifactIds, {
        body: { variables: {} },
        headers: bearer(ctx.forge((await ctx.session()).access, "expired")),
      }),
  },
  {
    id: "rest-auth/query-bad-api-key",
    about: "unknown X-INFRAHUB-KEY on REST",
    request: ctx =>
      storedQuery(ctx.names.storedQueries.artifactIds, {
        body: { variables: {} },
        headers: { "X-INFRAHUB-KEY": "not-a-token" },
      }),
  },
  {
    id: "rest-auth/query-access-token",
    about: "access token on REST",
    request: async ctx =>
      storedQuery(ctx.names.storedQueries.artifactIds, {
        body: { variables: { artifactname: ctx.names.artifactName } },
        headers: bearer((await ctx.session()).access),
      }),
  },
  {
    id: "rest-auth/query-cookie",
    about: "access token as the access_token cookie on REST",
    request: async ctx =>
      storedQuery(ctx.names.storedQueries.artifactIds, {
        body: { variables: { artifactname: ctx.names.artifactName } },
        headers: { Cookie: `access_token=${(await ctx.session()).access}` },
      }),
  },
  {
    id: "rest-auth/artifact-anonymous",
    about: "anonymous GET of an artifact",
    request: ctx => ({ method: "GET", path: `/api/artifact/${ctx.art("web-01").id}` }),
  },
  {
    id: "rest-auth/artifact-garbage-bearer",
    about: "a bad credential is refused even where anonymous access would pass",
    request: ctx => ({
      method: "GET",
      path: `/api/artifact/${ctx.art("web-01").id}`,
      headers: bearer("garbage"),
    }),
  },
  {
    id: "rest-auth/storage-anonymous",
    about: "anonymous GET of a storage object",
    request: ctx => ({ method: "GET", path: `/api/storage/object/${ctx.art("web-01").storageId}` }),
  },

  // ---------------------------------------------------------------- GraphQL errors
  {
    id: "gql/syntax-error",
    about: "a document that does not parse",
    request: ctx => gql("{ CoreArtifact {", { headers: ctx.key }),
  },
  {
    id: "gql/unknown-field",
    about: "a field the type does not have",
    request: ctx =>
      gql("{\n  CoreArtifact {\n    edges { node { foo } }\n  }\n}", { headers: ctx.key }),
  },
  {
    id: "gql/unknown-argument",
    about: "an argument the field does not have",
    request: ctx => gql("{ CoreArtifact(bogus: 1) { count } }", { headers: ctx.key }),
  },
  {
    id: "gql/updated-at-on-artifact",
    about: "`_updated_at` is not a CoreArtifact field in 1.11",
    request: ctx =>
      gql("{ CoreArtifact { edges { node { _updated_at } } } }", { headers: ctx.key }),
  },
  {
    id: "gql/unknown-type",
    about: "a top-level field that does not exist",
    request: ctx => gql("{ NoSuchKind { count } }", { headers: ctx.key }),
  },
  {
    id: "gql/variable-wrong-type",
    about: "a variable value of the wrong type",
    request: ctx =>
      gql("query Q($l: Int) { CoreArtifact(limit: $l) { count } }", {
        variables: { l: "ten" },
        headers: ctx.key,
      }),
  },
  {
    id: "gql/variable-missing",
    about: "a required variable not given",
    request: ctx =>
      gql("query Q($n: String!) { CoreArtifact(name__value: $n) { count } }", {
        variables: {},
        headers: ctx.key,
      }),
  },
  {
    id: "gql/variable-undeclared",
    about: "a variable used but not declared",
    request: ctx =>
      gql("query Q { CoreArtifact(name__value: $n) { count } }", { headers: ctx.key }),
  },
  {
    id: "gql/variables-not-object",
    about: "`variables` is a list",
    request: ctx => gql(INFO, { variables: [1], headers: ctx.key }),
  },
  {
    id: "gql/variable-list-coercion",
    about: "a single string for a [String] variable is coerced to a list",
    request: ctx =>
      gql("query Q($n: [String]) { CoreArtifact(name__values: $n) { count } }", {
        variables: { n: ctx.names.artifactName },
        headers: ctx.key,
      }),
  },
  {
    id: "gql/unknown-operation",
    about: "operationName that the document does not define",
    request: ctx =>
      gql("query A { InfrahubInfo { version } }", { operationName: "B", headers: ctx.key }),
  },
  {
    id: "gql/several-operations",
    about: "two operations and no operationName",
    request: ctx =>
      gql("query A { InfrahubInfo { version } } query B { InfrahubInfo { version } }", {
        headers: ctx.key,
      }),
  },
  {
    id: "gql/resolver-error",
    about: "an error raised while resolving (negative limit)",
    request: ctx =>
      gql("{ CoreArtifact(limit: -1) { count edges { node { id } } } }", { headers: ctx.key }),
  },
  {
    id: "gql/unknown-mutation",
    about: "a mutation field that does not exist",
    request: ctx => gql("mutation { NoSuchMutation { ok } }", { headers: ctx.key }),
  },
  {
    id: "gql/no-query",
    about: "a JSON body without `query`",
    request: ctx => ({
      method: "POST",
      path: "/graphql",
      headers: { ...JSON_CT, ...ctx.key },
      body: "{}",
    }),
  },
  {
    id: "gql/empty-query",
    about: "`query` is an empty string",
    request: ctx => gql("", { headers: ctx.key }),
  },
  {
    id: "gql/invalid-json",
    about: "a body that is not JSON",
    request: ctx => ({
      method: "POST",
      path: "/graphql",
      headers: { ...JSON_CT, ...ctx.key },
      body: "{bad json",
    }),
  },
  {
    id: "gql/batch",
    about: "a JSON array (batching)",
    request: ctx => ({
      method: "POST",
      path: "/graphql",
      headers: { ...JSON_CT, ...ctx.key },
      body: JSON.stringify([{ query: INFO }]),
    }),
  },
  {
    id: "gql/body-not-object",
    about: "a JSON string as body",
    request: ctx => ({
      method: "POST",
      path: "/graphql",
      headers: { ...JSON_CT, ...ctx.key },
      body: '"x"',
    }),
  },
  {
    id: "gql/text-plain",
    about: "Content-Type text/plain",
    request: ctx => ({
      method: "POST",
      path: "/graphql",
      headers: { "Content-Type": "text/plain", ...ctx.key },
      body: JSON.stringify({ query: INFO }),
    }),
  },
  {
    id: "gql/get",
    about: "GET /graphql (the web frontend is not in the wheel)",
    request: ctx => ({ method: "GET", path: "/graphql", headers: ctx.key }),
  },
  {
    id: "gql/unknown-branch",
    about: "a branch that does not exist",
    request: ctx => gql(INFO, { branch: "no-such-branch", headers: ctx.key }),
  },
  {
    id: "gql/branch-path",
    about: "the branch from the path",
    request: ctx => list(ctx, { branch: ctx.names.branch }),
  },

  {
    id: "gql/options",
    about: "OPTIONS /graphql",
    headers: ["allow"],
    request: ctx => ({ method: "OPTIONS", path: "/graphql", headers: ctx.key }),
  },
  {
    id: "gql/put",
    about: "a method /graphql does not serve",
    request: ctx => ({ method: "PUT", path: "/graphql", headers: ctx.key }),
  },
  {
    id: "gql/typename",
    about: "introspection of the root type's name",
    request: ctx => gql("{ __typename }", { headers: ctx.key }),
  },
  {
    id: "gql/variables-null",
    about: "`variables: null`",
    request: ctx => gql(INFO, { variables: null, headers: ctx.key }),
  },
  {
    id: "gql/branch-create-existing",
    about: "a mutation that fails in its resolver: the exception's status in http_status",
    request: ctx =>
      gql(
        `mutation { BranchCreate(data: {name: "${ctx.names.branch}"}, wait_until_completion: true) { ok } }`,
        {
          headers: ctx.key,
        },
      ),
  },

  // ---------------------------------------------------------------- at= (time travel)
  {
    id: "at/before-main",
    about: "an instant before main was created: 422",
    request: ctx => list(ctx, { at: "2020-01-01T00:00:00Z" }),
  },
  {
    id: "at/before-main-on-branch",
    about: "on another branch the limit is its origin's creation",
    request: ctx => list(ctx, { at: "2020-01-01T00:00:00Z", branch: ctx.names.branch }),
  },
  {
    id: "at/date-only",
    about: "a bare date means 12:00 UTC that day",
    request: ctx => list(ctx, { at: "2020-01-01" }),
  },
  // Relative times are resolved against the server's clock, so the cases pick offsets whose
  // outcome does not depend on the server's age: `now-1h` is a 422 on a server started less than
  // an hour ago (main did not exist yet) and a 200 on an older one.
  {
    id: "at/relative-long-ago",
    about: "a relative time is accepted (and here before main)",
    request: ctx => list(ctx, { at: "now-100000h" }),
  },
  {
    id: "at/relative-recent",
    about: "a relative time after the last change reads the current state",
    request: ctx => {
      const seconds = Math.max(
        0,
        Math.floor((Date.now() * 1000 - ctx.facts.times.lastChangeUs) / 1e6) - 2,
      );
      return list(ctx, { at: `now-${seconds}s` });
    },
  },
  {
    id: "at/garbage",
    about: "a value that is no time at all",
    request: ctx => list(ctx, { at: "yesterday" }),
  },
  {
    id: "at/empty",
    about: "`?at=` with no value",
    request: ctx => list(ctx, { at: "" }),
  },
  {
    id: "at/before-artifacts",
    about: "after main was created, before any artifact existed",
    request: ctx => list(ctx, { at: ctx.facts.times.beforeArtifacts }),
  },
  {
    id: "at/before-branch-on-main",
    about: "main as it was before the branch was created",
    request: ctx => list(ctx, { at: ctx.facts.times.beforeBranch }),
  },
  {
    id: "at/before-branch-on-branch",
    about: "the branch before it was created shows its origin's state",
    request: ctx => list(ctx, { at: ctx.facts.times.beforeBranch, branch: ctx.names.branch }),
  },
  {
    id: "at/offset",
    about: "an RFC 3339 offset other than Z",
    request: ctx => list(ctx, { at: "2999-01-01T02:00:00+02:00" }),
  },
  {
    id: "at/future",
    about: "an instant in the future reads the current state",
    request: ctx => list(ctx, { at: "2999-01-01T00:00:00Z", branch: ctx.names.branch }),
  },

  // ---------------------------------------------------------------- pagination and filters
  {
    id: "page/all",
    about: "every artifact, ordered by name then id, with count",
    request: ctx => list(ctx),
  },
  {
    id: "page/limit-0",
    about: "limit 0 means no limit",
    request: ctx =>
      gql(PAGE, { variables: { name: ctx.names.artifactName, limit: 0 }, headers: ctx.key }),
  },
  {
    id: "page/limit-1",
    about: "the first page of one",
    byRank: true,
    request: ctx =>
      gql(PAGE, { variables: { name: ctx.names.artifactName, limit: 1 }, headers: ctx.key }),
  },
  {
    id: "page/offset-1-limit-1",
    about: "the second page of one; count ignores offset and limit",
    byRank: true,
    request: ctx =>
      gql(PAGE, {
        variables: { name: ctx.names.artifactName, offset: 1, limit: 1 },
        headers: ctx.key,
      }),
  },
  {
    id: "page/offset-only",
    about: "offset without limit",
    byRank: true,
    request: ctx =>
      gql(PAGE, { variables: { name: ctx.names.artifactName, offset: 2 }, headers: ctx.key }),
  },
  {
    id: "page/offset-beyond",
    about: "an offset past the end",
    request: ctx =>
      gql(PAGE, {
        variables: { name: ctx.names.artifactName, offset: 10, limit: 5 },
        headers: ctx.key,
      }),
  },
  {
    id: "page/negative-offset",
    about: "a negative offset",
    request: ctx =>
      gql(PAGE, {
        variables: { name: ctx.names.artifactName, offset: -1, limit: 2 },
        headers: ctx.key,
      }),
  },
  {
    id: "filter/ids-empty",
    about: "ids: [] matches nothing",
    request: ctx => gql(FILTERED("ids: []"), { headers: ctx.key }),
  },
  {
    id: "filter/ids",
    about: "ids with one artifact and one unknown id",
    request: ctx =>
      gql(FILTERED(`ids: ["${ctx.art("web-03").id}", "00000000-0000-0000-0000-000000000000"]`), {
        headers: ctx.key,
      }),
  },
  {
    id: "filter/name-values-empty",
    about: "name__values: []",
    request: ctx => gql(FILTERED("name__values: []"), { headers: ctx.key }),
  },
  {
    id: "filter/name-values",
    about: "name__values with the artifact name and an unknown one",
    request: ctx =>
      gql(FILTERED(`name__values: ["${ctx.names.artifactName}", "Nope"]`), { headers: ctx.key }),
  },
  {
    id: "filter/name-value-unknown",
    about: "no match",
    request: ctx => gql(FILTERED('name__value: "Nope"'), { headers: ctx.key }),
  },
  {
    id: "filter/object-ids",
    about: "by target id",
    request: ctx =>
      gql(FILTERED(`object__ids: ["${ctx.art("web-02").targetId}"]`), { headers: ctx.key }),
  },
  {
    id: "filter/object-ids-empty",
    about: "object__ids: []",
    request: ctx => gql(FILTERED("object__ids: []"), { headers: ctx.key }),
  },
  {
    id: "filter/definition-name",
    about: "by definition name",
    request: ctx =>
      gql(FILTERED(`definition__name__value: "${ctx.names.definitionName}"`), { headers: ctx.key }),
  },
  {
    id: "filter/status",
    about: "by status",
    request: ctx => gql(FILTERED('status__value: "Ready"'), { headers: ctx.key }),
  },
  {
    id: "filter/combined",
    about: "several filters are ANDed",
    request: ctx =>
      gql(
        FILTERED(
          `name__value: "${ctx.names.artifactName}", object__ids: ["${ctx.art("web-01").targetId}", "${ctx.art("web-03").targetId}"], status__value: "Ready"`,
        ),
        { headers: ctx.key },
      ),
  },
  {
    id: "filter/checksum",
    about: "by checksum",
    request: ctx =>
      gql(FILTERED(`checksum__value: "${ctx.art("web-02").checksum}"`), { headers: ctx.key }),
  },
  {
    id: "filter/definition-ids",
    about: "by definition id",
    request: ctx =>
      gql(FILTERED(`definition__ids: ["${ctx.facts.definitionId}"]`), { headers: ctx.key }),
  },
  {
    id: "filter/partial-match",
    about: "partial_match on a text attribute, in another case",
    request: ctx =>
      gql(
        FILTERED(
          `name__value: "${ctx.names.artifactName.slice(0, 6).toLowerCase()}", partial_match: true`,
        ),
        {
          headers: ctx.key,
        },
      ),
  },
  {
    id: "filter/partial-match-same-case",
    about: "partial_match with a prefix in the same case",
    request: ctx =>
      gql(FILTERED(`name__value: "${ctx.names.artifactName.slice(0, 6)}", partial_match: true`), {
        headers: ctx.key,
      }),
  },
  {
    id: "filter/any-value",
    about: "any__value matches any text attribute",
    request: ctx => gql(FILTERED('any__value: "Ready"'), { headers: ctx.key }),
  },
  {
    id: "filter/object-isnull",
    about: "object__isnull: false",
    request: ctx => gql(FILTERED("object__isnull: false"), { headers: ctx.key }),
  },
  {
    id: "filter/group-membership",
    about: "member_of_groups__ids of a group nothing here belongs to",
    request: ctx =>
      gql(FILTERED('member_of_groups__ids: ["00000000-0000-0000-0000-000000000000"]'), {
        headers: ctx.key,
      }),
  },
  {
    id: "filter/null-argument",
    about: "a null filter value is ignored",
    request: ctx =>
      gql("query Q($n: String) { CoreArtifact(name__value: $n) { count } }", {
        variables: { n: null },
        headers: ctx.key,
      }),
  },
  {
    id: "filter/count-only",
    about: "count without edges",
    request: ctx => gql(COUNT(ctx.names), { headers: ctx.key }),
  },
  {
    id: "shape/artifact-fields",
    about: "attribute objects, relationship edges and __typename of the target",
    request: ctx =>
      gql(
        `{ CoreArtifact(ids: ["${ctx.art("web-01").id}"]) { edges { node {
          __typename id display_label hfid
          name { value __typename } status { value } content_type { value } checksum { value }
          storage_id { value } parameters { value __typename }
          object { node { __typename id display_label } }
          definition { node { id display_label name { value } artifact_name { value } content_type { value } } }
        } } } }`,
        { headers: ctx.key },
      ),
  },
  {
    id: "shape/target-artifacts",
    about: "the target's artifacts relationship",
    request: ctx =>
      gql(
        `{ CoreArtifact(ids: ["${ctx.art("web-01").id}"]) { edges { node { object { node { artifacts { count edges { node { id } properties { is_protected } } } } } } } } }`,
        { headers: ctx.key },
      ),
  },
  {
    id: "client/find-artifacts",
    about: "the operator's own FindArtifacts document, one page of 100",
    request: ctx =>
      gql(FIND_ARTIFACTS_QUERY, {
        operationName: FIND_ARTIFACTS_OPERATION,
        variables: {
          names: [ctx.names.artifactName],
          definitionName: ctx.names.definitionName,
          offset: 0,
          limit: 100,
        },
        branch: ctx.names.branch,
        headers: ctx.key,
      }),
  },
  {
    id: "client/describe-by-ids",
    about: "the operator's FindArtifacts by artifact ids (stored-query mode details)",
    request: ctx =>
      gql(FIND_ARTIFACTS_QUERY, {
        operationName: FIND_ARTIFACTS_OPERATION,
        variables: { ids: [ctx.art("web-01").id, ctx.art("web-03").id], offset: 0, limit: 100 },
        at: ctx.facts.times.beforeBranch,
        headers: ctx.key,
      }),
  },
  {
    id: "client/find-artifacts-batch",
    about:
      "the operator's batched FindArtifacts: three aliased lookups with their own filters and pages (a page of 2, by target, no match)",
    byRank: true,
    request: ctx =>
      gql(findArtifactsBatchQuery(3), {
        operationName: FIND_ARTIFACTS_BATCH_OPERATION,
        variables: {
          names_0: [ctx.names.artifactName],
          definitionName_0: ctx.names.definitionName,
          offset_0: 0,
          limit_0: 2,
          names_1: [ctx.names.artifactName],
          targetIds_1: [ctx.art("web-02").targetId],
          offset_1: 0,
          limit_1: 100,
          names_2: ["Nope"],
          offset_2: 0,
          limit_2: 100,
        },
        branch: ctx.names.branch,
        headers: ctx.key,
      }),
  },
  {
    id: "client/find-artifacts-batch-next-page",
    about:
      "the batched FindArtifacts' next page: only the lookup still paging, at offset 2, next to one by ids",
    byRank: true,
    request: ctx =>
      gql(findArtifactsBatchQuery(2), {
        operationName: FIND_ARTIFACTS_BATCH_OPERATION,
        variables: {
          names_0: [ctx.names.artifactName],
          definitionName_0: ctx.names.definitionName,
          offset_0: 2,
          limit_0: 2,
          ids_1: [ctx.art("web-01").id, ctx.art("web-03").id],
          offset_1: 0,
          limit_1: 100,
        },
        headers: ctx.key,
      }),
  },
  {
    id: "shape/target-kind",
    about: "the targets' own kind as a top-level query",
    request: ctx => gql(`{ ${ctx.names.targetKind} { count } }`, { headers: ctx.key }),
  },
  {
    id: "shape/definition",
    about: "the artifact definition",
    request: ctx =>
      gql(
        `{ CoreArtifactDefinition(name__value: "${ctx.names.definitionName}") { count edges { node { id name { value } artifact_name { value } content_type { value } parameters { value } } } } }`,
        { headers: ctx.key },
      ),
  },
  {
    id: "shape/branches",
    about: "branches by name (a server may hold more branches than the seed's)",
    request: ctx =>
      gql(
        `{ main: Branch(name: "main") { ...B } other: Branch(name: "${ctx.names.branch}") { ...B } none: Branch(name: "no-such-branch") { ...B } }
        fragment B on Branch { name origin_branch is_default created_at branched_from }`,
        { headers: ctx.key },
      ),
  },
  {
    id: "shape/info",
    about: "InfrahubInfo",
    request: ctx => gql("{ InfrahubInfo { version } }", { headers: ctx.key }),
  },

  // ---------------------------------------------------------------- stored queries
  {
    id: "sq/string-variable",
    about:
      "Vidra's call: its document, artifactname as a plain string (coerced to a list); storage_id { id } is the attribute's id",
    request: ctx =>
      storedQuery(ctx.names.storedQueries.artifactIds, {
        qs: "?branch=main&update_group=false",
        body: { variables: { artifactname: ctx.names.artifactName } },
        headers: ctx.key,
      }),
  },
  {
    id: "sq/list-variable",
    about: "artifactname as a list",
    request: ctx =>
      storedQuery(ctx.names.storedQueries.artifactIds, {
        body: { variables: { artifactname: [ctx.names.artifactName, "Nope"] } },
        headers: ctx.key,
      }),
  },
  {
    id: "sq/no-body",
    about: "no body: variables default to {}",
    request: ctx => storedQuery(ctx.names.storedQueries.artifactIds, { headers: ctx.key }),
  },
  {
    id: "sq/branch",
    about: "?branch= of the second branch",
    request: ctx =>
      storedQuery(ctx.names.storedQueries.artifactIds, {
        qs: `?branch=${enc(ctx.names.branch)}`,
        body: { variables: { artifactname: ctx.names.artifactName } },
        headers: ctx.key,
      }),
  },
  {
    id: "sq/get",
    about: "GET with variables in the query string",
    request: ctx => ({
      method: "GET",
      path: `/api/query/${enc(ctx.names.storedQueries.needsVar)}?n=${enc(ctx.names.artifactName)}&branch=main`,
      headers: ctx.key,
    }),
  },
  {
    id: "sq/unknown",
    about: "a stored query that does not exist",
    request: ctx => storedQuery("NoSuchQuery", { body: { variables: {} }, headers: ctx.key }),
  },
  {
    id: "sq/unknown-branch",
    about: "?branch= that does not exist",
    request: ctx =>
      storedQuery(ctx.names.storedQueries.artifactIds, {
        qs: "?branch=no-such-branch",
        body: { variables: {} },
        headers: ctx.key,
      }),
  },
  {
    id: "sq/missing-variable",
    about: "a required variable not given",
    request: ctx =>
      storedQuery(ctx.names.storedQueries.needsVar, { body: { variables: {} }, headers: ctx.key }),
  },
  {
    id: "sq/wrong-variable-type",
    about: "a variable of the wrong type",
    request: ctx =>
      storedQuery(ctx.names.storedQueries.needsVar, {
        body: { variables: { n: 5 } },
        headers: ctx.key,
      }),
  },
  {
    id: "sq/wrong-list-item",
    about: "a list item of the wrong type",
    request: ctx =>
      storedQuery(ctx.names.storedQueries.artifactIds, {
        body: { variables: { artifactname: [5] } },
        headers: ctx.key,
      }),
  },
  {
    id: "sq/unknown-variable",
    about: "a variable the document does not declare",
    request: ctx =>
      storedQuery(ctx.names.storedQueries.artifactIds, {
        body: { variables: { nope: "x" } },
        headers: ctx.key,
      }),
  },
  {
    id: "sq/resolver-error",
    about: "a stored query that fails while it runs",
    request: ctx =>
      storedQuery(ctx.names.storedQueries.resolverError, {
        body: { variables: {} },
        headers: ctx.key,
      }),
  },
  {
    id: "sq/variables-not-object",
    about: "variables is a list",
    request: ctx =>
      storedQuery(ctx.names.storedQueries.artifactIds, {
        body: { variables: ["a"] },
        headers: ctx.key,
      }),
  },
  {
    id: "sq/invalid-json",
    about: "a body that is not JSON",
    request: ctx =>
      storedQuery(ctx.names.storedQueries.artifactIds, { body: "{nope", headers: ctx.key }),
  },
  {
    id: "sq/at-before-main",
    about: "?at= before main was created",
    request: ctx =>
      storedQuery(ctx.names.storedQueries.artifactIds, {
        qs: "?at=2020-01-01T00:00:00Z",
        body: { variables: {} },
        headers: ctx.key,
      }),
  },
  {
    id: "sq/at-before-branch",
    about: "?at= on the branch, before it was created",
    request: ctx =>
      storedQuery(ctx.names.storedQueries.artifactIds, {
        qs: `?branch=${enc(ctx.names.branch)}&at=${enc(ctx.facts.times.beforeBranch)}`,
        body: { variables: { artifactname: ctx.names.artifactName } },
        headers: ctx.key,
      }),
  },
  {
    id: "sq/at-garbage",
    about: "?at= that is no time",
    request: ctx =>
      storedQuery(ctx.names.storedQueries.artifactIds, {
        qs: "?at=yesterday",
        body: { variables: {} },
        headers: ctx.key,
      }),
  },
  {
    id: "sq/no-name",
    about: "/api/query without a name",
    request: ctx => ({ method: "POST", path: "/api/query/", headers: ctx.key }),
  },

  // ---------------------------------------------------------------- downloads
  {
    id: "dl/artifact",
    about: "an artifact's content with its content type",
    headers: DOWNLOAD_HEADERS,
    request: ctx => ({
      method: "GET",
      path: `/api/artifact/${ctx.art("web-01").id}`,
      headers: ctx.key,
    }),
  },
  {
    id: "dl/artifact-branch",
    about: "the branch's version of the changed artifact",
    headers: DOWNLOAD_HEADERS,
    request: ctx => ({
      method: "GET",
      path: `/api/artifact/${ctx.art(ctx.names.changedTarget).id}?branch=${enc(ctx.names.branch)}`,
      headers: ctx.key,
    }),
  },
  {
    id: "dl/artifact-branch-at-before-branch",
    about: "the branch's artifact before the branch existed: main's version",
    headers: DOWNLOAD_HEADERS,
    request: ctx => ({
      method: "GET",
      path: `/api/artifact/${ctx.art(ctx.names.changedTarget).id}?branch=${enc(ctx.names.branch)}&at=${enc(ctx.facts.times.beforeBranch)}`,
      headers: ctx.key,
    }),
  },
  {
    id: "dl/artifact-at-before-artifacts",
    about: "before the artifact existed",
    request: ctx => ({
      method: "GET",
      path: `/api/artifact/${ctx.art("web-01").id}?at=${enc(ctx.facts.times.beforeArtifacts)}`,
      headers: ctx.key,
    }),
  },
  {
    id: "dl/artifact-at-before-main",
    about: "?at= before main was created",
    request: ctx => ({
      method: "GET",
      path: `/api/artifact/${ctx.art("web-01").id}?at=2020-01-01T00:00:00Z`,
      headers: ctx.key,
    }),
  },
  {
    id: "dl/artifact-unknown",
    about: "an artifact id that does not exist",
    request: ctx => ({
      method: "GET",
      path: "/api/artifact/00000000-0000-0000-0000-000000000000",
      headers: ctx.key,
    }),
  },
  {
    id: "dl/artifact-wrong-kind",
    about: "the id of a target, not an artifact",
    request: ctx => ({
      method: "GET",
      path: `/api/artifact/${ctx.art("web-01").targetId}`,
      headers: ctx.key,
    }),
  },
  {
    id: "dl/artifact-definition-id",
    about: "the id of the artifact definition",
    request: ctx => ({
      method: "GET",
      path: `/api/artifact/${ctx.facts.definitionId}`,
      headers: ctx.key,
    }),
  },
  {
    id: "dl/artifact-unknown-branch",
    about: "?branch= that does not exist",
    request: ctx => ({
      method: "GET",
      path: `/api/artifact/${ctx.art("web-01").id}?branch=no-such-branch`,
      headers: ctx.key,
    }),
  },
  {
    id: "dl/artifact-post",
    about: "POST on the artifact route",
    request: ctx => ({
      method: "POST",
      path: `/api/artifact/${ctx.art("web-01").id}`,
      headers: ctx.key,
    }),
  },
  {
    id: "dl/storage",
    about: "a storage object: content and no Content-Type",
    headers: DOWNLOAD_HEADERS,
    request: ctx => ({
      method: "GET",
      path: `/api/storage/object/${ctx.art("web-01").storageId}`,
      headers: ctx.key,
    }),
  },
  {
    id: "dl/storage-branch-object",
    about: "storage is global: the branch's object through no branch at all",
    headers: DOWNLOAD_HEADERS,
    request: ctx => ({
      method: "GET",
      path: `/api/storage/object/${ctx.art(ctx.names.changedTarget, ctx.names.branch).storageId}`,
      headers: ctx.key,
    }),
  },
  {
    id: "dl/storage-unknown",
    about: "a storage id that does not exist",
    request: ctx => ({
      method: "GET",
      path: "/api/storage/object/00000000-0000-0000-0000-000000000000",
      headers: ctx.key,
    }),
  },

  // ---------------------------------------------------------------- unknown endpoints, odd requests
  {
    id: "misc/info",
    about: "/api/info needs no credentials",
    request: () => ({ method: "GET", path: "/api/info" }),
  },
  {
    id: "misc/info-bad-token",
    about: "/api/info ignores a bad credential",
    request: () => ({ method: "GET", path: "/api/info", headers: bearer("garbage") }),
  },
  {
    id: "misc/unknown-api-get",
    about: "an unknown /api path",
    request: ctx => ({ method: "GET", path: "/api/no/such/endpoint", headers: ctx.key }),
  },
  {
    id: "misc/unknown-api-post",
    about: "an unknown /api path, POST",
    request: ctx => ({ method: "POST", path: "/api/nope", headers: ctx.key }),
  },
  {
    id: "misc/unknown-api-patch",
    about: "a method the catch-all does not route",
    request: ctx => ({ method: "PATCH", path: "/api/nope", headers: ctx.key }),
  },
  {
    id: "misc/unknown-api-anonymous",
    about: "an unknown /api path without credentials",
    request: () => ({ method: "GET", path: "/api/nope" }),
  },
  {
    id: "misc/outside-api",
    about: "a path outside /api and /graphql",
    request: () => ({ method: "GET", path: "/no-such-page" }),
  },
];
