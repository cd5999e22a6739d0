import { recordingLogger } from "../logger";
import { InfrahubAuth, type AuthTransport } from "./auth";
import { InfrahubAuthError, InfrahubTransientError } from "./errors";
import type { HeaderSource, RequestSpec } from "./requester";
import type { InfrahubAuthConfig } from "./types";

const ADDRESS = "http://infrahub.test";

class FakeClock {
  ms = Date.parse("2025-06-15T12:00:00Z");
  now = (): number => this.ms;
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

/** A scripted Infrahub auth endpoint: counts calls, issues JWTs on the fake clock. */
class FakeAuthServer implements AuthTransport {
  logins = 0;
  refreshes = 0;
  issued = 0;
  refreshBehaviour: "ok" | "reject" | "fail" = "ok";
  loginBehaviour: "ok" | "reject" = "ok";
  accessLifetime = 3600;

  constructor(private readonly clock: FakeClock) {}

  token(type: string, lifetime: number): string {
    const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const iat = Math.floor(this.clock.now() / 1000);
    this.issued++;
    return `${part({ alg: "HS256" })}.${part({ type, iat, exp: iat + lifetime, n: this.issued })}.sig`;
  }

  async json(spec: Omit<RequestSpec, "expect">, headers: HeaderSource): Promise<unknown> {
    const sent = await headers();
    await new Promise(resolve => setImmediate(resolve));
    if (spec.purpose === "login") {
      this.logins++;
      if (this.loginBehaviour === "reject") {
        throw new InfrahubAuthError(
          "Infrahub rejected the login",
          {
            address: ADDRESS,
            endpoint: spec.endpoint,
            status: 401,
            serverMessages: ["Incorrect password"],
          },
          "",
        );
      }
      return {
        access_token: this.token("access", this.accessLifetime),
        refresh_token: this.token("refresh", 86400),
      };
    }
    this.refreshes++;
    expect(sent.authorization).toMatch(/^Bearer /);
    if (this.refreshBehaviour === "reject") {
      throw new InfrahubAuthError(
        "rejected",
        {
          address: ADDRESS,
          endpoint: spec.endpoint,
          status: 401,
          serverMessages: ["Expired Signature"],
        },
        "",
      );
    }
    if (this.refreshBehaviour === "fail") {
      throw new InfrahubTransientError(
        "down",
        { address: ADDRESS, endpoint: spec.endpoint, status: 503 },
        "",
      );
    }
    return { access_token: this.token("access", this.accessLifetime) };
  }
}

function setup(
  config: InfrahubAuthConfig = {
    kind: "password",
    username: "admin",
    password: "hunter2-password",
  },
) {
  const clock = new FakeClock();
  const server = new FakeAuthServer(clock);
  const logger = recordingLogger();
  const auth = new InfrahubAuth(config, server, { address: ADDRESS, clock, logger });
  return { clock, server, logger, auth };
}

const expired401 = (messages = ["Expired Signature"]) =>
  new InfrahubAuthError(
    "no",
    { address: ADDRESS, endpoint: "POST /graphql/main", status: 401, serverMessages: messages },
    "",
  );

describe("InfrahubAuth: password mode", () => {
  it("logs in once for many concurrent requests (single flight)", async () => {
    const { auth, server } = setup();
    const headers = await Promise.all(Array.from({ length: 25 }, () => auth.headers()));
    expect(server.logins).toBe(1);
    expect(new Set(headers.map(h => h.authorization)).size).toBe(1);
    expect(headers[0].authorization).toMatch(/^Bearer eyJ/);
  });

  it("reuses the token across later requests", async () => {
    const { auth, server, clock } = setup();
    const first = await auth.headers();
    clock.advance(600);
    expect(await auth.headers()).toEqual(first);
    expect(server.logins).toBe(1);
    expect(server.refreshes).toBe(0);
  });

  it("refreshes proactively once less than 60 s are left, sharing one refresh", async () => {
    const { auth, server, clock } = setup();
    const first = await auth.headers();
    clock.advance(3600 - 61);
    expect(await auth.headers()).toEqual(first);
    clock.advance(2);
    const renewed = await Promise.all(Array.from({ length: 10 }, () => auth.headers()));
    expect(server.refreshes).toBe(1);
    expect(server.logins).toBe(1);
    expect(renewed[0]).not.toEqual(first);
    expect(new Set(renewed.map(h => h.authorization)).size).toBe(1);
  });

  it("renews at 10 % of a short lifetime", async () => {
    const { auth, server, clock } = setup();
    server.accessLifetime = 100;
    await auth.headers();
    clock.advance(89);
    await auth.headers();
    expect(server.refreshes).toBe(0);
    clock.advance(1);
    await auth.headers();
    expect(server.refreshes).toBe(1);
  });

  it("logs in again when the refresh token is rejected", async () => {
    const { auth, server, clock } = setup();
    await auth.headers();
    server.refreshBehaviour = "reject";
    clock.advance(3590);
    await auth.headers();
    expect(server.refreshes).toBe(1);
    expect(server.logins).toBe(2);
  });

  it("logs in again when the refresh token has expired too", async () => {
    const { auth, server, clock } = setup();
    await auth.headers();
    clock.advance(2 * 86400);
    await auth.headers();
    expect(server.refreshes).toBe(0);
    expect(server.logins).toBe(2);
  });

  it("keeps using a still-valid token when a proactive refresh fails", async () => {
    const { auth, server, clock, logger } = setup();
    const first = await auth.headers();
    server.refreshBehaviour = "fail";
    clock.advance(3590);
    expect(await auth.headers()).toEqual(first);
    expect(logger.records.some(r => r.level === "warn" && /renewal failed/.test(r.msg ?? ""))).toBe(
      true,
    );
    clock.advance(20);
    await expect(auth.headers()).rejects.toBeInstanceOf(InfrahubTransientError);
  });

  it("shares a failed login with every waiting caller", async () => {
    const { auth, server } = setup();
    server.loginBehaviour = "reject";
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => auth.headers()));
    expect(
      results.every(r => r.status === "rejected" && r.reason instanceof InfrahubAuthError),
    ).toBe(true);
    expect(server.logins).toBe(1);
  });

  it("does not log in again with credentials Infrahub refused, until asked to", async () => {
    const { auth, server, clock } = setup();
    server.loginBehaviour = "reject";
    const first = await auth.headers().catch((e: unknown) => e);
    expect(first).toBeInstanceOf(InfrahubAuthError);
    expect((first as InfrahubAuthError).remembered).toBe(false);
    clock.advance(24 * 3600);
    for (let i = 0; i < 5; i++) {
      const again = await auth.headers().catch((e: unknown) => e);
      expect(again).toBeInstanceOf(InfrahubAuthError);
      expect(again).toMatchObject({
        remembered: true,
        status: 401,
        reason: "AuthenticationFailed",
      });
      expect((again as Error).message).toContain("Incorrect password");
    }
    expect(server.logins).toBe(1);
    expect(auth.refusal).toBeDefined();
    // A person asked for one more try (e.g. the account was fixed in Infrahub).
    server.loginBehaviour = "ok";
    auth.retryRefused();
    expect(await auth.headers()).toMatchObject({
      authorization: expect.stringMatching(/^Bearer /),
    });
    expect(server.logins).toBe(2);
    expect(auth.refusal).toBeUndefined();
  });

  it("remembers a login refused while renewing an expired session", async () => {
    const { auth, server, clock } = setup();
    await auth.headers();
    server.loginBehaviour = "reject";
    clock.advance(2 * 86400);
    await expect(auth.headers()).rejects.toBeInstanceOf(InfrahubAuthError);
    await expect(auth.headers()).rejects.toMatchObject({ remembered: true });
    expect(server.logins).toBe(2);
  });

  it("refreshes on 401 Expired Signature and repeats the request exactly once", async () => {
    const { auth, server } = setup();
    const seen: string[] = [];
    const result = await auth.authorized(async headers => {
      const h = await headers();
      seen.push(h.authorization);
      if (seen.length === 1) throw expired401();
      return "ok";
    });
    expect(result).toBe("ok");
    expect(seen).toHaveLength(2);
    expect(seen[1]).not.toBe(seen[0]);
    expect(server.refreshes).toBe(1);
    expect(server.logins).toBe(1);
  });

  it("does not loop when the repeated request is refused too", async () => {
    const { auth, server } = setup();
    let sends = 0;
    await expect(
      auth.authorized(async headers => {
        await headers();
        sends++;
        throw expired401();
      }),
    ).rejects.toBeInstanceOf(InfrahubAuthError);
    expect(sends).toBe(2);
    expect(server.refreshes).toBe(1);
  });

  it("renews once for many requests refused with the same token", async () => {
    const { auth, server } = setup();
    const tokens = new Set<string>();
    await auth.headers();
    let first = true;
    const firstToken = (await auth.headers()).authorization;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        auth.authorized(async headers => {
          const h = await headers();
          tokens.add(h.authorization);
          if (h.authorization === firstToken) {
            first = false;
            throw expired401();
          }
          return h.authorization;
        }),
      ),
    );
    expect(first).toBe(false);
    expect(server.refreshes).toBe(1);
    expect(tokens.size).toBe(2);
  });

  it("logs in afresh after a 401 other than Expired Signature", async () => {
    const { auth, server } = setup();
    let sends = 0;
    await auth.authorized(async headers => {
      await headers();
      if (++sends === 1) throw expired401(["Invalid token"]);
      return "ok";
    });
    expect(server.logins).toBe(2);
    expect(server.refreshes).toBe(0);
  });

  it("does not try to recover from errors other than 401", async () => {
    const { auth, server } = setup();
    let sends = 0;
    const forbidden = new InfrahubAuthError(
      "no",
      { address: ADDRESS, endpoint: "x", status: 403 },
      "",
      { permission: true },
    );
    await expect(
      auth.authorized(async headers => {
        await headers();
        sends++;
        throw forbidden;
      }),
    ).rejects.toBe(forbidden);
    expect(sends).toBe(1);
    expect(server.logins).toBe(1);
  });

  it("lists the password and current tokens as secrets", async () => {
    const { auth } = setup();
    const h = await auth.headers();
    const secrets = auth.secrets();
    expect(secrets).toContain("hunter2-password");
    expect(secrets).toContain(h.authorization.replace("Bearer ", ""));
    expect(secrets).toHaveLength(3);
  });
});

describe("InfrahubAuth: token and anonymous modes", () => {
  it("sends X-INFRAHUB-KEY and never logs in", async () => {
    const { auth, server } = setup({
      kind: "token",
      token: "06438eb2-8019-4776-878c-0941b1f1d1ec",
    });
    expect(await auth.headers()).toEqual({
      "x-infrahub-key": "06438eb2-8019-4776-878c-0941b1f1d1ec",
    });
    let sends = 0;
    await expect(
      auth.authorized(async headers => {
        await headers();
        sends++;
        throw expired401(["Invalid token"]);
      }),
    ).rejects.toBeInstanceOf(InfrahubAuthError);
    expect(sends).toBe(1);
    expect(server.logins).toBe(0);
    expect(auth.secrets()).toEqual(["06438eb2-8019-4776-878c-0941b1f1d1ec"]);
    // The refused token is not sent again.
    await expect(
      auth.authorized(async headers => {
        await headers();
        sends++;
        return "sent";
      }),
    ).rejects.toMatchObject({ remembered: true, reason: "AuthenticationFailed" });
    expect(sends).toBe(1);
  });

  it("sends nothing when anonymous", async () => {
    const { auth, server } = setup({ kind: "anonymous" });
    expect(await auth.headers()).toEqual({});
    expect(server.logins).toBe(0);
    expect(auth.secrets()).toEqual([]);
  });
});
