import type { SimWebhook, WebhookDelivery, WebhookDeliveryOptions } from "./webhooks";

/**
 * Public types of the Infrahub simulator. Tests, benchmarks and the demo program against these
 * names, so they change only together with their callers.
 */

/** Infrahub's `ArtifactStatus` enum (core/constants). */
export type ArtifactStatus = "Ready" | "Pending" | "Processing" | "Error";

export const ARTIFACT_STATUSES: readonly ArtifactStatus[] = [
  "Ready",
  "Pending",
  "Processing",
  "Error",
];

export interface SimulatorOptions {
  /** Default 0: the OS picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** A seed object, or the path of a YAML seed file (see README.md). */
  seed?: SimulatorSeed | string;
  /** HS256 key for the JWTs; overrides the seed; default is random per instance. */
  jwtSecret?: string;
  accessTokenLifetimeSeconds?: number;
  refreshTokenLifetimeSeconds?: number;
  /** Overrides the seed. Infrahub's own default is true. */
  allowAnonymous?: boolean;
  /** Expose the JSON control API under /__sim/ (default false here, true in the CLI). */
  controlApi?: boolean;
}

/** The seed file's shape; every key is optional. Loading order is documented in README.md. */
export interface SimulatorSeed {
  allowAnonymous?: boolean;
  users?: Array<{ username: string; password: string; active?: boolean; role?: string }>;
  apiTokens?: string[];
  accessTokenLifetimeSeconds?: number;
  refreshTokenLifetimeSeconds?: number;
  jwtSecret?: string;
  deploymentId?: string;
  /** What `/api/info` and `InfrahubInfo` report (default `SIMULATOR_VERSION`). */
  version?: string;
  branches?: Array<{ name: string; from?: string }>;
  definitions?: Array<DefinitionInput>;
  artifacts?: Array<ArtifactInput & { branch?: string }>;
  storedQueries?: Array<{ name: string; query: string }>;
}

export interface DefinitionInput {
  id?: string;
  name: string;
  artifactName: string;
  contentType?: string;
  /** The definition's `parameters` JSON, e.g. `{ "webserver": "name__value" }`. */
  parameters?: unknown;
  description?: string;
}

export interface TargetInput {
  label: string;
  /** GraphQL type name of the target node; default "KubernetesWebserver". */
  kind?: string;
  id?: string;
}

export interface ArtifactInput {
  id?: string;
  /** Definition name (or id). */
  definition: string;
  target: TargetInput;
  content?: string;
  status?: ArtifactStatus;
  contentType?: string;
}

export interface SimDefinition {
  id: string;
  name: string;
  artifactName: string;
  contentType: string;
  parameters: unknown;
}

export interface SimArtifact {
  id: string;
  name: string;
  definitionName: string;
  targetId: string;
  targetLabel: string;
  targetKind: string;
  status: ArtifactStatus;
  contentType: string;
  checksum: string | null;
  storageId: string | null;
  content: string | null;
  /** RFC 3339 with microseconds: the instant of this version, usable as `?at=` to read it back. */
  updatedAt: string;
}

export type SimFault = {
  endpoint: string;
  times?: number;
  /** Only requests whose path (without the query string) is this, e.g. `/graphql/feature-a`. */
  path?: string;
} & (
  | { kind: "latency"; ms: number }
  | { kind: "status"; status: number; body?: string }
  | { kind: "rateLimit"; retryAfterSeconds: number }
  | { kind: "reset" }
  | { kind: "truncate" }
  | { kind: "garbage" }
  | { kind: "expiredToken" }
  | { kind: "hang" }
);

export interface RequestLogEntry {
  method: string;
  path: string;
  endpoint: string;
  /** HTTP status sent; 0 when no response was sent (reset, hang). */
  status: number;
  headers: Record<string, string | undefined>;
}

/**
 * A running simulator. Data methods throw `SimError` (unknown branch, definition or artifact,
 * bad input) with a message saying what to fix.
 */
export interface InfrahubSimulator {
  /** "http://127.0.0.1:<port>" */
  readonly url: string;
  /** Closes the server and destroys open keep-alive and hung sockets. */
  stop(): Promise<void>;
  /** Creates or updates (by id, else by name) a global artifact definition. */
  upsertDefinition(def: {
    name: string;
    artifactName: string;
    contentType?: string;
    parameters?: unknown;
  }): SimDefinition;
  /** Creates or updates an artifact, matched by id, else by definition + target. */
  upsertArtifact(branch: string, a: ArtifactInput): SimArtifact;
  /** New content means a new storage_id and checksum and status Ready; the same content changes nothing. */
  setArtifactContent(branch: string, artifactId: string, content: string): SimArtifact;
  setArtifactStatus(branch: string, artifactId: string, status: ArtifactStatus): SimArtifact;
  deleteArtifact(branch: string, artifactId: string): void;
  /** Current artifacts sorted by name then id, content included. */
  listArtifacts(branch: string): SimArtifact[];
  /** Copies `from`'s (default main) artifacts with their history. */
  createBranch(name: string, from?: string): void;
  deleteBranch(name: string): void;
  /** Parses and validates the document now; throws when it is not valid against the schema. */
  registerStoredQuery(name: string, query: string): void;
  /** Adds or replaces a user (replacing keeps its account id, so `active: false` deactivates it). */
  addUser(username: string, password: string, opts?: { active?: boolean; role?: string }): void;
  addApiToken(token: string): void;
  setAllowAnonymous(allow: boolean): void;
  /** Every access token issued so far fails with 401 "Expired Signature"; new ones work. */
  expireAccessTokens(): void;
  /** Every refresh token issued so far fails with 401 "Expired Signature"; new logins work. */
  expireRefreshTokens(): void;
  injectFault(fault: SimFault): void;
  clearFaults(): void;
  /** Requests per endpoint label (e.g. "POST /graphql"), faulted ones included. */
  requestCounts(): Record<string, number>;
  /** Clears the counts and the request log. */
  resetCounts(): void;
  /** The last 1000 requests, oldest first (control API requests excluded). */
  readonly requestLog: ReadonlyArray<RequestLogEntry>;
  /** Adds or replaces (by name) a webhook that artifact changes are sent to (see webhooks.ts). */
  configureWebhook(hook: SimWebhook): SimWebhook;
  removeWebhook(name: string): void;
  /** Shared keys masked. */
  listWebhooks(): SimWebhook[];
  /** Retries, pauses and timeout of deliveries; Infrahub's by default (3 retries, 120 s apart). */
  setWebhookDelivery(options: Partial<WebhookDeliveryOptions>): WebhookDeliveryOptions;
  webhookDeliveryOptions(): WebhookDeliveryOptions;
  /** Every delivery attempt, oldest first (the last 1000). */
  webhookDeliveries(): WebhookDelivery[];
  clearWebhookDeliveries(): void;
}
