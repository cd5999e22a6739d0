import { randomUUID } from "node:crypto";
import { signJwt, verifyJwt } from "./jwt";
import { SimError } from "./sim-error";

/** Who a request is, after Infrahub's `authentication_token`; `error` is always a 401. */
export type AuthOutcome =
  | { kind: "anonymous" }
  | { kind: "api"; accountId: string }
  | { kind: "jwt"; accountId: string; sessionId: string }
  | { kind: "error"; message: string };

/** An endpoint's answer: status and either a body or an envelope message. */
export type AuthReply =
  | { status: 200; body: Record<string, string> }
  | { status: 401 | 404; message: string };

export interface Credentials {
  apiKey?: string;
  bearer?: string;
  accessCookie?: string;
  refreshCookie?: string;
}

interface Account {
  id: string;
  username: string;
  password: string;
  active: boolean;
  role: string;
}

/**
 * Accounts, API tokens, sessions and JWTs with Infrahub's messages (`auth.py`,
 * `api/dependencies.py`). Tokens "expired" by the handle are remembered by signature, so tokens
 * issued afterwards keep working while the claims stay exactly Infrahub's.
 */
export class AuthService {
  allowAnonymous: boolean;
  accessLifetimeSeconds: number;
  refreshLifetimeSeconds: number;
  private readonly accounts = new Map<string, Account>();
  private readonly accountsById = new Map<string, Account>();
  private readonly apiTokens = new Map<string, string>();
  private readonly sessions = new Set<string>();
  private readonly issued = { access: new Set<string>(), refresh: new Set<string>() };
  private readonly expired = { access: new Set<string>(), refresh: new Set<string>() };

  constructor(
    private readonly secret: string,
    settings: {
      allowAnonymous: boolean;
      accessLifetimeSeconds: number;
      refreshLifetimeSeconds: number;
    },
  ) {
    this.allowAnonymous = settings.allowAnonymous;
    this.accessLifetimeSeconds = settings.accessLifetimeSeconds;
    this.refreshLifetimeSeconds = settings.refreshLifetimeSeconds;
  }

  addUser(
    username: string,
    password: string,
    opts: { active?: boolean; role?: string } = {},
  ): void {
    if (typeof username !== "string" || !username)
      throw new SimError("a user needs a non-empty username");
    if (typeof password !== "string")
      throw new SimError(`user "${username}" needs a string password`);
    const existing = this.accounts.get(username);
    const account: Account = {
      id: existing?.id ?? randomUUID(),
      username,
      password,
      active: opts.active ?? true,
      role: opts.role ?? "admin",
    };
    this.accounts.set(username, account);
    this.accountsById.set(account.id, account);
  }

  addApiToken(token: string): void {
    if (typeof token !== "string" || !token)
      throw new SimError("an API token must be a non-empty string");
    this.apiTokens.set(token, this.apiTokens.get(token) ?? randomUUID());
  }

  expireAccessTokens(): void {
    for (const sig of this.issued.access) this.expired.access.add(sig);
    this.issued.access.clear();
  }

  expireRefreshTokens(): void {
    for (const sig of this.issued.refresh) this.expired.refresh.add(sig);
    this.issued.refresh.clear();
  }

  /** `authenticate_with_password`: unknown user 404, inactive 401, wrong password 401. */
  login(username: string, password: string): AuthReply {
    const account = this.accounts.get(username);
    if (!account) return { status: 404, message: "That login user doesn't exist in the system" };
    if (!account.active) return { status: 401, message: "This account is not allowed to login" };
    if (account.password !== password) return { status: 401, message: "Incorrect password" };
    const sessionId = randomUUID();
    this.sessions.add(sessionId);
    return {
      status: 200,
      body: {
        access_token: this.issueAccess(account, sessionId),
        refresh_token: this.issueRefresh(account, sessionId),
      },
    };
  }

  /** `POST /api/auth/refresh`: the refresh token from the Bearer header, else the cookie. Not rotated. */
  refresh(creds: Credentials): AuthReply {
    const token = creds.bearer ?? creds.refreshCookie;
    if (!token)
      return { status: 401, message: "A JWT refresh token is required to perform this operation." };
    const check = this.check(token, "refresh");
    if ("error" in check) return { status: 401, message: check.error };
    const account = this.accountsById.get(check.sub);
    if (!account)
      return {
        status: 404,
        message: `Unable to find the node ${check.sub} / CoreGenericAccount in the database.`,
      };
    if (!account.active) return { status: 401, message: "This account has been deactivated" };
    if (check.type !== "refresh")
      return { status: 401, message: "Invalid token, current token is not a refresh token" };
    if (!this.sessions.has(check.sessionId)) {
      return {
        status: 401,
        message: "The provided refresh token has been invalidated in the database",
      };
    }
    return { status: 200, body: { access_token: this.issueAccess(account, check.sessionId) } };
  }

  /** `POST /api/auth/logout`: needs an access token; deletes its session (refresh then fails). */
  logout(creds: Credentials): AuthReply {
    const token = creds.bearer ?? creds.accessCookie;
    if (!token)
      return { status: 401, message: "A JWT access token is required to perform this operation." };
    const outcome = this.validateAccess(token);
    if (outcome.kind === "error") return { status: 401, message: outcome.message };
    if (outcome.kind === "jwt") this.sessions.delete(outcome.sessionId);
    return { status: 200, body: {} };
  }

  /**
   * The API key wins over a JWT; the Bearer header over the cookie. A present but bad credential
   * is an error even where anonymous access would be allowed.
   */
  authenticate(creds: Credentials): AuthOutcome {
    if (creds.apiKey !== undefined) {
      const accountId = this.apiTokens.get(creds.apiKey);
      return accountId ? { kind: "api", accountId } : { kind: "error", message: "Invalid token" };
    }
    const token = creds.bearer ?? creds.accessCookie;
    return token ? this.validateAccess(token) : { kind: "anonymous" };
  }

  private validateAccess(token: string): AuthOutcome {
    const check = this.check(token, "access");
    if ("error" in check) return { kind: "error", message: check.error };
    if (check.type !== "access")
      return { kind: "error", message: "Invalid token, current token is not an access token" };
    return { kind: "jwt", accountId: check.sub, sessionId: check.sessionId };
  }

  private check(
    token: string,
    kind: "access" | "refresh",
  ): { error: string } | { sub: string; sessionId: string; type: unknown } {
    const result = verifyJwt(token, this.secret, Math.floor(Date.now() / 1000));
    if (!result.ok)
      return { error: result.reason === "expired" ? "Expired Signature" : "Invalid token" };
    if (this.expired[kind].has(result.signature)) return { error: "Expired Signature" };
    const { sub, session_id: sessionId, type } = result.claims;
    if (typeof sub !== "string" || typeof sessionId !== "string") return { error: "Invalid token" };
    return { sub, sessionId, type };
  }

  private issueAccess(account: Account, sessionId: string): string {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sub: account.id,
      iat: now,
      nbf: now,
      exp: now + this.accessLifetimeSeconds,
      fresh: false,
      type: "access",
      session_id: sessionId,
    };
    return this.issue(claims, "access");
  }

  private issueRefresh(account: Account, sessionId: string): string {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sub: account.id,
      iat: now,
      nbf: now,
      exp: now + this.refreshLifetimeSeconds,
      fresh: false,
      type: "refresh",
      session_id: sessionId,
    };
    return this.issue(claims, "refresh");
  }

  /**
   * Same claims in the same second give the same token; after `expire*Tokens()` a refresh in that
   * second would hand back the expired token, so `exp` moves on by a second until it is new.
   */
  private issue(
    claims: Record<string, unknown> & { exp: number },
    kind: "access" | "refresh",
  ): string {
    let token = signJwt(claims, this.secret);
    while (this.expired[kind].has(signatureOf(token)))
      token = signJwt({ ...claims, exp: (claims.exp += 1) }, this.secret);
    this.issued[kind].add(signatureOf(token));
    return token;
  }
}

function signatureOf(token: string): string {
  return token.slice(token.lastIndexOf(".") + 1);
}
