import type { Logger } from "../logger";
import { isExpiredSignature } from "./envelope";
import { InfrahubAuthError, InfrahubInvalidResponseError } from "./errors";
import { holdToken, isExpired, shouldRenew, type HeldToken } from "./jwt";
import type { HeaderSource, RequestSpec } from "./requester";
import type { Clock, InfrahubAuthConfig } from "./types";

/** The part of InfrahubRequester that auth needs (a fake in unit tests). */
export interface AuthTransport {
  json(spec: Omit<RequestSpec, "expect">, headers: HeaderSource): Promise<unknown>;
}

const LOGIN: Omit<RequestSpec, "expect" | "body"> = {
  method: "POST",
  path: "/api/auth/login",
  endpoint: "POST /api/auth/login",
  purpose: "login",
  subject: "the login endpoint",
  notFoundHint: "Check the username (Infrahub answers 404 for an unknown user).",
};

const REFRESH: Omit<RequestSpec, "expect"> = {
  method: "POST",
  path: "/api/auth/refresh",
  endpoint: "POST /api/auth/refresh",
  purpose: "refresh",
  subject: "the token refresh endpoint",
  notFoundHint: "This Infrahub has no /api/auth/refresh; check the Infrahub version.",
};

/**
 * Credentials for one Infrahub address and identity, shared by every sync using them.
 * - token: `X-INFRAHUB-KEY` on every request; anonymous: no header.
 * - password: one login, then the access token is reused and renewed before its `exp`
 *   (refresh token, or a fresh login when that is gone or rejected). Concurrent callers share a
 *   single in-flight login/refresh. A 401 on a request renews once and the request is repeated once.
 * - refused credentials (a failed login, an API token answered with 401) are not sent again: every
 *   later call fails at once with the remembered refusal. A failed login at every poll of every
 *   sync would lock accounts and raise intrusion alarms; new credentials (the Secret changed) make
 *   a new identity, hence a new InfrahubAuth, and `retryRefused` lets a person ask for one more try.
 */
export class InfrahubAuth {
  private access: HeldToken | undefined;
  private refresh: HeldToken | undefined;
  private inflight: Promise<void> | undefined;
  private refused: InfrahubAuthError | undefined;

  constructor(
    private readonly config: InfrahubAuthConfig,
    private readonly transport: AuthTransport,
    private readonly deps: { address: string; clock: Clock; logger: Logger },
  ) {}

  get kind(): InfrahubAuthConfig["kind"] {
    return this.config.kind;
  }

  /** Values that must never appear in a message or log record. */
  secrets(): string[] {
    const out: string[] = [];
    if (this.config.kind === "password") out.push(this.config.password);
    if (this.config.kind === "token") out.push(this.config.token);
    if (this.access) out.push(this.access.value);
    if (this.refresh) out.push(this.refresh.value);
    return out;
  }

  /** The refusal that stops every call, if Infrahub refused these credentials. */
  get refusal(): InfrahubAuthError | undefined {
    return this.refused;
  }

  /** Forgets a refusal, so the next call tries the credentials once more. */
  retryRefused(): void {
    if (this.refused === undefined) return;
    this.refused = undefined;
    this.deps.logger.info(
      { address: this.deps.address },
      "Trying credentials Infrahub refused before once more, as requested",
    );
  }

  /** Headers for the next request; logs in or renews first when needed. */
  async headers(): Promise<Record<string, string>> {
    if (this.refused) throw this.refused.recalled();
    switch (this.config.kind) {
      case "anonymous":
        return {};
      case "token":
        return { "x-infrahub-key": this.config.token };
      case "password":
        return { authorization: `Bearer ${await this.accessToken()}` };
    }
  }

  /**
   * Runs `send` with this identity's headers; on a 401 caused by our bearer token, renews the
   * token once (refresh on `Expired Signature`, else a fresh login) and runs `send` once more.
   */
  async authorized<T>(send: (headers: HeaderSource) => Promise<T>): Promise<T> {
    let used: Record<string, string> | undefined;
    const source: HeaderSource = async () => (used = await this.headers());
    try {
      return await send(source);
    } catch (err) {
      const sent = used;
      if (sent !== undefined && this.config.kind === "token" && isUnauthorized(err))
        this.refuse(err);
      if (sent === undefined || !(await this.recover(sent, err))) throw err;
      return send(source);
    }
  }

  private refuse(err: InfrahubAuthError): void {
    if (this.refused) return;
    this.refused = err;
    this.deps.logger.warn(
      { address: this.deps.address, kind: this.config.kind, status: err.status },
      "Infrahub refused the credentials; not sending them again until they change",
    );
  }

  private async recover(used: Record<string, string>, err: unknown): Promise<boolean> {
    if (
      this.config.kind !== "password" ||
      !(err instanceof InfrahubAuthError) ||
      err.status !== 401
    )
      return false;
    const sent = used.authorization?.replace(/^Bearer /, "");
    if (sent === undefined) return false;
    if (this.access?.value === sent) {
      // Forget it first, so concurrent requests wait for the renewal instead of reusing it.
      this.access = undefined;
      const expired = isExpiredSignature(err.serverMessages);
      this.deps.logger.info(
        { address: this.deps.address, cause: expired ? "expired" : "rejected" },
        "Infrahub refused the access token; renewing it and repeating the request once",
      );
      await this.singleFlight(() => (expired ? this.renew() : this.login()));
    } else if (this.inflight) {
      await this.inflight;
    }
    return true;
  }

  private async accessToken(): Promise<string> {
    // Three rounds cover "renewal finished but a concurrent 401 already discarded its result".
    for (let round = 0; round < 3; round++) {
      const held = this.access;
      const now = this.deps.clock.now();
      if (held && !shouldRenew(held, now)) return held.value;
      if (held && !isExpired(held, now)) {
        try {
          await this.singleFlight(() => this.renew());
        } catch (err) {
          // The current token still works; the next request tries to renew again.
          this.deps.logger.warn(
            { address: this.deps.address, error: err instanceof Error ? err.message : String(err) },
            "Proactive Infrahub token renewal failed; using the current token until it expires",
          );
        }
        return (this.access ?? held).value;
      }
      await this.singleFlight(() => (held || this.refresh ? this.renew() : this.login()));
      if (this.access) return this.access.value;
    }
    throw new InfrahubInvalidResponseError(
      "Could not obtain a usable Infrahub access token",
      { address: this.deps.address, endpoint: LOGIN.endpoint },
      "Infrahub kept rejecting freshly issued tokens; check that all Infrahub API replicas share one secret key.",
      { retryable: true },
    );
  }

  private singleFlight(task: () => Promise<void>): Promise<void> {
    if (this.inflight === undefined) {
      this.inflight = task().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  private async login(): Promise<void> {
    if (this.config.kind !== "password") return;
    const { username, password } = this.config;
    let body: unknown;
    try {
      body = await this.transport.json(
        { ...LOGIN, body: { username, password } },
        async () => ({}),
      );
    } catch (err) {
      // Every refusal of the login endpoint is about the credentials (see errorForStatus).
      if (err instanceof InfrahubAuthError) this.refuse(err);
      throw err;
    }
    const access = stringField(body, "access_token");
    if (access === undefined) throw this.shapeError(LOGIN.endpoint, "access_token");
    const now = this.deps.clock.now();
    this.access = holdToken(access, now);
    const refresh = stringField(body, "refresh_token");
    this.refresh = refresh === undefined ? undefined : holdToken(refresh, now);
    this.deps.logger.info({ address: this.deps.address, username }, "Logged in to Infrahub");
  }

  private async renew(): Promise<void> {
    const refresh = this.refresh;
    if (refresh === undefined || isExpired(refresh, this.deps.clock.now())) return this.login();
    let body: unknown;
    try {
      body = await this.transport.json(REFRESH, async () => ({
        authorization: `Bearer ${refresh.value}`,
      }));
    } catch (err) {
      if (!(err instanceof InfrahubAuthError) || err.status !== 401) throw err;
      this.deps.logger.info(
        { address: this.deps.address },
        "Infrahub rejected the refresh token; logging in again",
      );
      this.refresh = undefined;
      return this.login();
    }
    const access = stringField(body, "access_token");
    if (access === undefined) throw this.shapeError(REFRESH.endpoint, "access_token");
    this.access = holdToken(access, this.deps.clock.now());
    this.deps.logger.debug({ address: this.deps.address }, "Refreshed the Infrahub access token");
  }

  private shapeError(endpoint: string, field: string): InfrahubInvalidResponseError {
    return new InfrahubInvalidResponseError(
      `Infrahub's answer has no ${field}`,
      { address: this.deps.address, endpoint, status: 200 },
      "Check that the URL points at Infrahub itself and not at a proxy or another service.",
      { retryable: false },
    );
  }
}

const isUnauthorized = (err: unknown): err is InfrahubAuthError =>
  err instanceof InfrahubAuthError && err.status === 401 && !err.remembered;

function stringField(body: unknown, field: string): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const value = (body as Record<string, unknown>)[field];
  return typeof value === "string" && value !== "" ? value : undefined;
}
