/**
 * Infrahub client: finds artifacts (Vidra's stored query, or GraphQL with filters and paging)
 * and downloads their content, with shared auth, retries and a per-address circuit breaker.
 */
export { InfrahubClient } from "./client";
export { InfrahubClientRegistry } from "./registry";
export {
  ArtifactChecksumMismatchError,
  ArtifactTooLargeError,
  InfrahubAuthError,
  InfrahubBusyError,
  InfrahubCircuitOpenError,
  InfrahubConfigError,
  InfrahubError,
  InfrahubInvalidResponseError,
  InfrahubNotFoundError,
  InfrahubRequestError,
  InfrahubStoredQueryError,
  InfrahubTlsError,
  InfrahubTransientError,
  TargetDateBeforeBranchError,
} from "./errors";
export { FIND_ARTIFACTS_DOCUMENT } from "./artifact-documents";
export type { BatchQuery, LookupFilters } from "./batched-lookup";
export { normaliseAddress } from "./redact";
export {
  DEFAULT_STORED_QUERY,
  systemClock,
  type ArtifactLookup,
  type CircuitStateName,
  type Clock,
  type DownloadOptions,
  type FindResult,
  type InfrahubArtifact,
  type InfrahubAuthConfig,
  type InfrahubBreakerOptions,
  type InfrahubClientOptions,
  type InfrahubConnection,
  type InfrahubInfo,
  type InfrahubRequestObservation,
  type InfrahubRetryOptions,
  type InfrahubTlsConfig,
  type NotReadyArtifact,
  type StoredQueryLookup,
} from "./types";
