/**
 * Types of the Infrahub contract suite: the same requests sent to a real Infrahub and to the
 * simulator, with answers normalised so that they can be compared (see hack/infrahub-sim/README.md, "The contract").
 */

/** Where to run the suite and as whom. */
export interface ContractTarget {
  /** Base URL, e.g. http://127.0.0.1:8000 */
  url: string;
  credentials: ContractCredentials;
  /** Names of the seeded objects; defaults are those of the reference seed (`DEFAULT_SEED_NAMES`). */
  seed?: Partial<SeedNames>;
}

export interface ContractCredentials {
  username: string;
  password: string;
  /** An API token of the same account (`X-INFRAHUB-KEY`). */
  apiToken: string;
  /**
   * The server's JWT signing key (`INFRAHUB_SECURITY_SECRET_KEY`). Only needed to forge an
   * expired token; cases that need it are reported as skipped without it.
   */
  jwtSecret?: string;
}

/** Names the reference seed gives its objects. */
export interface SeedNames {
  artifactName: string;
  definitionName: string;
  targetKind: string;
  /** Labels of the targets, each with one artifact on main. */
  targets: string[];
  /** A second branch where exactly `changedTarget`'s artifact differs from main. */
  branch: string;
  changedTarget: string;
  storedQueries: {
    /**
     * Vidra's ArtifactIDs document verbatim (selects id, storage_id { id }, checksum, name). The
     * reference up.sh registers it as ArtifactIDsVidra (its ArtifactIDs is an id-only variant);
     * hack/real-infrahub registers it under both names.
     */
    artifactIds: string;
    /** `query NeedsVar($n: String!)`: fails without its variable. */
    needsVar: string;
    /** `CoreArtifact(limit: -1)`: fails while it runs. */
    resolverError: string;
  };
}

/** One request as the suite sends it (raw: nothing is added but Host and Content-Length). */
export interface ContractRequest {
  method: string;
  /** Path and query string, already percent-encoded. */
  path: string;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON with Content-Type application/json. */
  body?: string | object;
}

/** What the suite keeps of one answer, after normalisation. */
export interface ContractObservation {
  /** The request line, normalised like the answers (ids → symbols). */
  request: string;
  status: number;
  /** Content-Type without parameters other than charset; null when absent. */
  contentType: string | null;
  /** Only the headers the case asks for (normalised); absent when it asks for none. */
  headers?: Record<string, string | string[] | null>;
  /** Parsed and normalised JSON, or normalised text when the body is not JSON. */
  body: unknown;
}

/** A case that could not be run on this target, and why. */
export interface ContractSkip {
  skipped: string;
}

export interface ContractRecording {
  /** What the server says it is (`/api/info` version). */
  server: { version: string };
  recordedAt?: string;
  /** The seeded world as discovered, enough to seed the simulator to answer the same. */
  world: ContractWorld;
  cases: Record<string, ContractObservation | ContractSkip>;
}

/** The discovered state of the seed, with ids replaced by their rank (ids differ per server). */
export interface ContractWorld {
  /** `/api/info` version. */
  version: string;
  seed: SeedNames;
  definition: { contentType: string; parameters: unknown };
  /** Artifacts per branch, in the server's order (name, then id). */
  branches: Record<string, ContractWorldArtifact[]>;
}

export interface ContractWorldArtifact {
  target: string;
  status: string;
  contentType: string;
  content: string;
}
