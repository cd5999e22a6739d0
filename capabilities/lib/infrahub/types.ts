import type { Logger } from "../logger";

/** How to authenticate to Infrahub. */
export type InfrahubAuthConfig =
  | { kind: "password"; username: string; password: string }
  | { kind: "token"; token: string }
  | { kind: "anonymous" };

/** TLS settings for an `https://` Infrahub. Verification is on unless explicitly skipped. */
export interface InfrahubTlsConfig {
  /** PEM bundle of the CA(s) to trust instead of the system roots. */
  caPem?: string;
  /** Accept any server certificate. For labs only. */
  insecureSkipTlsVerify?: boolean;
}

/** One Infrahub address plus the identity used to talk to it. */
export interface InfrahubConnection {
  /** Base URL, e.g. `https://infrahub.example.com` (a path prefix is kept; user info is ignored). */
  url: string;
  auth: InfrahubAuthConfig;
  tls?: InfrahubTlsConfig;
}

/** What `onRequest` is told after every HTTP attempt (metrics hook). */
export interface InfrahubRequestObservation {
  /** Low-cardinality label such as `POST /graphql` or `GET /api/storage/object`. */
  endpoint: string;
  method: string;
  status: number | "network-error";
  durationMs: number;
  /** 1 for the first try, 2 for the first retry, ... */
  attempt: number;
}

export type CircuitStateName = "closed" | "open" | "half-open";

/** Time source; tests inject one to drive token expiry. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface InfrahubRetryOptions {
  /** Total tries per request, the first included (default 4). */
  maxAttempts?: number;
  /** Exponential backoff base and cap (defaults 250 ms and 5 s); full jitter is applied. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /**
   * The longest `Retry-After` the client waits for inside one call (default 30 s). A longer one
   * ends the call with an InfrahubTransientError carrying `retryAfterMs`, so the caller can requeue.
   */
  maxRetryAfterMs?: number;
}

export interface InfrahubBreakerOptions {
  /** Consecutive transient failures that open the circuit (default 5). */
  consecutiveFailures?: number;
  /** How long the circuit stays open before one trial request is let through (default 30 s). */
  halfOpenAfterMs?: number;
}

export interface InfrahubClientOptions {
  /** Per-attempt timeout covering connect, headers and body (default 30 s). */
  timeoutMs?: number;
  retry?: InfrahubRetryOptions;
  breaker?: InfrahubBreakerOptions;
  /** Largest artifact body accepted (default 4 MiB). */
  maxArtifactBytes?: number;
  /** GraphQL page size for `findArtifacts` (default 100). */
  pageSize?: number;
  /** Lookups sent in one request by `findArtifactsBatch` (aliased fields; default 50). */
  maxBatchLookups?: number;
  logger?: Logger;
  onRequest?: (observation: InfrahubRequestObservation) => void;
  onCircuitStateChange?: (change: { address: string; state: CircuitStateName }) => void;
  clock?: Clock;
  /** Jitter source in [0, 1); tests pin it. */
  random?: () => number;
}

/** An artifact as Infrahub describes it. Fields the source did not provide are null. */
export interface InfrahubArtifact {
  id: string;
  name: string | null;
  /** `Ready`, `Pending`, `Processing`, `Error`, or null when the stored query did not select it. */
  status: string | null;
  contentType: string | null;
  /** md5 hex of the content, as Infrahub computed it. */
  checksum: string | null;
  /** Object-store id of the current content (never the attribute id Vidra's query selects). */
  storageId: string | null;
  targetId: string | null;
  targetLabel: string | null;
  definitionName: string | null;
}

/** An artifact that was found but cannot be downloaded now. */
export interface NotReadyArtifact {
  artifact: InfrahubArtifact;
  reason: string;
}

export interface FindResult {
  ready: InfrahubArtifact[];
  notReady: NotReadyArtifact[];
}

export interface StoredQueryLookup {
  /** Name (or id) of the stored Infrahub query; Vidra's default is `ArtifactIDs`. */
  queryName: string;
  /** Sent as the `artifactname` variable, like Vidra. */
  artifactName: string;
  branch: string;
  at?: Date;
}

/**
 * Direct GraphQL lookup. Every filter given narrows the result (AND). An empty list matches
 * nothing, so no request is made for it.
 */
export interface ArtifactLookup {
  branch: string;
  at?: Date;
  artifactNames?: string[];
  definitionName?: string;
  targetIds?: string[];
  artifactIds?: string[];
}

export interface DownloadOptions {
  branch: string;
  at?: Date;
}

export interface InfrahubInfo {
  version: string;
  deploymentId: string;
}

export const DEFAULT_STORED_QUERY = "ArtifactIDs";
