import type { InfrahubSimulator, SimulatorSeed } from "../../hack/infrahub-sim";

/** The docs' demo admin token (INFRAHUB_INITIAL_ADMIN_TOKEN). */
export const API_TOKEN = "06438eb2-8019-4776-878c-0941b1f1d1ec";
export const JWT_SECRET = "simulator-test-secret";
export const KEY = { "X-INFRAHUB-KEY": API_TOKEN };

export const DEFINITION = "Webserver_Artifact_Definition";
export const ARTIFACT_NAME = "Webserver_Manifest";

/** A small world: two definitions, three targets, admin/infrahub and the demo API token. */
export function baseSeed(extra: Partial<SimulatorSeed> = {}): SimulatorSeed {
  return {
    allowAnonymous: false,
    users: [{ username: "admin", password: "infrahub" }],
    apiTokens: [API_TOKEN],
    definitions: [
      {
        name: DEFINITION,
        artifactName: ARTIFACT_NAME,
        contentType: "application/yaml",
        parameters: { webserver: "name__value" },
      },
      { name: "VM_Artifact_Definition", artifactName: "VM_Manifest", contentType: "text/plain" },
    ],
    artifacts: [
      {
        id: "a-web-01",
        definition: DEFINITION,
        target: { label: "web-01", id: "t-web-01" },
        content: "kind: Namespace\nmetadata:\n  name: web-01\n",
      },
      {
        id: "a-web-02",
        definition: DEFINITION,
        target: { label: "web-02", id: "t-web-02" },
        content: "kind: Namespace\nmetadata:\n  name: web-02\n",
      },
      {
        id: "a-vm-01",
        definition: "VM_Artifact_Definition",
        target: { label: "vm-01", kind: "KubernetesVirtuellMaschine", id: "t-vm-01" },
        content: "kind: VirtualMachine\n",
      },
    ],
    ...extra,
  };
}

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** fetch that always reads the body; `json` is undefined when the body is not JSON. */
export async function http(url: string, init: RequestInit = {}): Promise<HttpResult> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  return http(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** POST /graphql[/branch][?at=] with the API token unless other headers are given. */
export function gql(
  sim: InfrahubSimulator,
  query: string,
  opts: {
    variables?: Record<string, unknown>;
    branch?: string;
    at?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<HttpResult> {
  const path =
    opts.branch === undefined ? "/graphql" : `/graphql/${encodeURIComponent(opts.branch)}`;
  const qs = opts.at === undefined ? "" : `?at=${encodeURIComponent(opts.at)}`;
  return postJson(
    `${sim.url}${path}${qs}`,
    { query, variables: opts.variables },
    opts.headers ?? KEY,
  );
}

/** The §0 envelope (REST). */
export function envelope(status: number, message: string) {
  return { data: null, errors: [{ message, extensions: { code: status } }] };
}

/**
 * The envelope of an error that ends a /graphql request early on infrahub-server 1.11.9: the
 * GraphQL error catalogue's string code, `http_status` and `data`.
 */
export function gqlEnvelope(status: number, message: string) {
  const code =
    status !== 401
      ? "UNDEFINED_ERROR"
      : message.includes("Expired Signature")
        ? "TOKEN_EXPIRED"
        : "AUTHENTICATION_REQUIRED";
  const data = code === "TOKEN_EXPIRED" ? { expired_at: null } : {};
  return { data: null, errors: [{ message, extensions: { code, http_status: status, data } }] };
}

/** Extensions of an error inside a 200 GraphQL answer. */
export const UNDEFINED_ERROR = { code: "UNDEFINED_ERROR", http_status: 500, data: {} };

export function decodeJwt(token: string): {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
} {
  const [header, claims] = token.split(".");
  return {
    header: JSON.parse(Buffer.from(header, "base64url").toString("utf8")),
    claims: JSON.parse(Buffer.from(claims, "base64url").toString("utf8")),
  };
}

export const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** The GraphQL shapes the tests read; attribute values are compared, never computed with. */
export interface Attr {
  value: unknown;
  id: string;
  [property: string]: unknown;
}

export interface GqlNode {
  id: string;
  display_label: string;
  __typename: string;
  hfid: unknown;
  name: Attr;
  status: Attr;
  checksum: Attr;
  storage_id: Attr;
  content_type: Attr;
  artifact_name: Attr;
  parameters: Attr;
  object: { node: GqlNode & { artifacts: GqlPage }; properties: Record<string, unknown> };
  definition: { node: GqlNode };
}

export interface GqlPage {
  count: number;
  edges: Array<{ node: GqlNode }>;
}

export interface GqlBody {
  data: Record<string, GqlPage> | null;
  errors?: Array<{ message: string; locations?: unknown; path?: unknown }>;
}

export const gqlBody = (res: HttpResult): GqlBody => res.json as GqlBody;
/** `data[field]` of a GraphQL or stored-query answer. */
export const page = (res: HttpResult, field = "CoreArtifact"): GqlPage =>
  (gqlBody(res).data as Record<string, GqlPage>)[field];
