import type http from "node:http";
import { InfrahubAuth } from "./auth";
import { AddressBreaker } from "./circuit-breaker";
import { downloadArtifact } from "./download";
import { InfrahubConfigError, InfrahubInvalidResponseError } from "./errors";
import { findByGraphqlBatch, type BatchQuery } from "./batched-lookup";
import { findByGraphql, findByStoredQuery } from "./find-artifacts";
import { createAgent } from "./http-transport";
import { resolveOptions, type ResolvedOptions } from "./options";
import { normaliseAddress } from "./redact";
import { InfrahubRequester, type RequestSpec } from "./requester";
import type {
  ArtifactLookup,
  DownloadOptions,
  FindResult,
  InfrahubArtifact,
  InfrahubAuthConfig,
  InfrahubClientOptions,
  InfrahubConnection,
  InfrahubInfo,
  StoredQueryLookup,
} from "./types";

/** Pieces shared between clients of one address (breaker) or one address + TLS config (agent). */
export interface SharedParts {
  agent: http.Agent;
  breaker: AddressBreaker;
}

function checkAuth(auth: InfrahubAuthConfig): void {
  if (auth.kind === "password" && (auth.username.trim() === "" || auth.password === "")) {
    throw new InfrahubConfigError(
      "Infrahub password authentication needs a non-empty username and password.",
    );
  }
  if (auth.kind === "token" && auth.token.trim() === "") {
    throw new InfrahubConfigError("Infrahub API token authentication needs a non-empty token.");
  }
}

/** The breaker for `address`, with the options' thresholds and observer. */
export function createBreaker(
  address: string,
  options: ResolvedOptions,
  raw: InfrahubClientOptions,
): AddressBreaker {
  return new AddressBreaker(address, options.breaker, options.logger, raw.onCircuitStateChange);
}

/**
 * Talks to one Infrahub as one identity: finds artifacts (stored query or GraphQL) and downloads
 * their content. Create it through InfrahubClientRegistry so syncs sharing an Infrahub share its
 * login, connection pool and circuit breaker.
 */
export class InfrahubClient {
  /** Normalised base URL without credentials; safe to log. */
  readonly address: string;
  private readonly options: ResolvedOptions;
  private readonly agent: http.Agent;
  private readonly ownsAgent: boolean;
  private readonly requester: InfrahubRequester;
  private readonly auth: InfrahubAuth;

  /** @throws InfrahubConfigError for an unusable URL, CA bundle or credential */
  constructor(
    connection: InfrahubConnection,
    options: InfrahubClientOptions = {},
    shared: Partial<SharedParts> = {},
  ) {
    this.address = normaliseAddress(connection.url);
    checkAuth(connection.auth);
    this.options = resolveOptions(options);
    this.ownsAgent = shared.agent === undefined;
    this.agent = shared.agent ?? createAgent(this.address, connection.tls);
    const breaker = shared.breaker ?? createBreaker(this.address, this.options, options);
    this.requester = new InfrahubRequester({
      address: this.address,
      agent: this.agent,
      breaker,
      options: this.options,
      authKind: connection.auth.kind,
      secrets: () => this.auth.secrets(),
    });
    this.auth = new InfrahubAuth(connection.auth, this.requester, {
      address: this.address,
      clock: this.options.clock,
      logger: this.options.logger,
    });
  }

  /** Vidra's way: `POST /api/query/{queryName}` with `{"variables": {"artifactname": ...}}`. */
  findArtifactsByStoredQuery(q: StoredQueryLookup): Promise<FindResult> {
    return findByStoredQuery(this.findContext(), q);
  }

  /** Direct GraphQL on `CoreArtifact` with filters, reading every page. */
  findArtifacts(q: ArtifactLookup): Promise<FindResult> {
    return findByGraphql(this.findContext(), q, this.options.pageSize);
  }

  /**
   * Several GraphQL lookups on one branch at one time, answered together: one request per page
   * round (aliased CoreArtifact fields), answers in the order of `q.lookups`.
   */
  findArtifactsBatch(q: BatchQuery): Promise<FindResult[]> {
    return findByGraphqlBatch(
      this.findContext(),
      q,
      this.options.pageSize,
      this.options.maxBatchLookups,
    );
  }

  /** The artifact's content as text: size-limited, checksum-verified. */
  downloadArtifact(artifact: InfrahubArtifact, opts: DownloadOptions): Promise<string> {
    return downloadArtifact(
      {
        call: spec => this.auth.authorized(headers => this.requester.raw(spec, headers)),
        address: this.address,
        maxBytes: this.options.maxArtifactBytes,
        logger: this.options.logger,
        secrets: () => this.auth.secrets(),
      },
      artifact,
      opts,
    );
  }

  /**
   * `GET /api/info`: a cheap reachability and version check. Sent with this identity's
   * credentials: Infrahub 1.11 answers it only to an authenticated caller unless anonymous
   * access is on.
   */
  async info(): Promise<InfrahubInfo> {
    const spec: Omit<RequestSpec, "expect"> = {
      method: "GET",
      path: "/api/info",
      endpoint: "GET /api/info",
      purpose: "api",
      subject: "the /api/info endpoint",
      notFoundHint: "Check that the URL points at Infrahub (not its web UI or a proxy path).",
    };
    const body = (await this.auth.authorized(headers =>
      this.requester.json(spec, headers),
    )) as Record<string, unknown> | null;
    const version = body?.version;
    const deploymentId = body?.deployment_id;
    if (typeof version !== "string" || typeof deploymentId !== "string") {
      throw new InfrahubInvalidResponseError(
        "Infrahub's /api/info answer has no version and deployment_id",
        { address: this.address, endpoint: "GET /api/info", status: 200 },
        "Check that the URL points at Infrahub itself.",
        { retryable: false },
      );
    }
    return { version, deploymentId };
  }

  /**
   * Makes the next call try credentials Infrahub refused before (a person asked for a sync);
   * otherwise they are not sent again, and new credentials come with a new client.
   */
  retryRefusedCredentials(): void {
    this.auth.retryRefused();
  }

  /** True while Infrahub's refusal of these credentials stops every call. */
  get credentialsRefused(): boolean {
    return this.auth.refusal !== undefined;
  }

  /** Closes pooled connections when this client owns its agent (a registry closes shared ones). */
  close(): void {
    if (this.ownsAgent) this.agent.destroy();
  }

  private findContext() {
    return {
      call: (spec: Omit<RequestSpec, "expect">) =>
        this.auth.authorized(headers => this.requester.json(spec, headers)),
      address: this.address,
      logger: this.options.logger,
      secrets: () => this.auth.secrets(),
    };
  }
}
