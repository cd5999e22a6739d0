import { InfrahubConfigError } from "./errors";
import { InfrahubClientRegistry } from "./registry";
import type { InfrahubConnection } from "./types";

const password = (
  pw: string,
  user = "bot",
  url = "http://infrahub.test:8000",
): InfrahubConnection => ({
  url,
  auth: { kind: "password", username: user, password: pw },
});

describe("InfrahubClientRegistry", () => {
  let registry: InfrahubClientRegistry;
  beforeEach(() => (registry = new InfrahubClientRegistry()));
  afterEach(() => registry.close());

  it("returns the same client for the same address and identity", () => {
    const a = registry.get(password("one"));
    expect(registry.get(password("one"))).toBe(a);
    expect(registry.get(password("one", "bot", "http://infrahub.test:8000/"))).toBe(a);
    expect(registry.get({ ...password("one"), url: "http://admin:x@infrahub.test:8000" })).toBe(a);
    expect(registry.size).toBe(1);
    expect(a.address).toBe("http://infrahub.test:8000");
  });

  it("separates identities: password, user, token, anonymous, address", () => {
    const clients = [
      registry.get(password("one")),
      registry.get(password("two")),
      registry.get(password("one", "other-bot")),
      registry.get({ url: "http://infrahub.test:8000", auth: { kind: "token", token: "t-1" } }),
      registry.get({ url: "http://infrahub.test:8000", auth: { kind: "token", token: "t-2" } }),
      registry.get({ url: "http://infrahub.test:8000", auth: { kind: "anonymous" } }),
      registry.get(password("one", "bot", "http://other.test:8000")),
    ];
    expect(new Set(clients).size).toBe(7);
    expect(registry.size).toBe(7);
  });

  it("hands out new clients after close", () => {
    const a = registry.get(password("one"));
    registry.close();
    expect(registry.get(password("one"))).not.toBe(a);
  });

  it("rejects unusable connections", () => {
    expect(() => registry.get(password(""))).toThrow(InfrahubConfigError);
    expect(() => registry.get(password("x", " "))).toThrow(InfrahubConfigError);
    expect(() =>
      registry.get({ url: "http://infrahub.test", auth: { kind: "token", token: "" } }),
    ).toThrow(InfrahubConfigError);
    expect(() => registry.get(password("x", "bot", "file:///etc/passwd"))).toThrow(/not supported/);
  });

  it("rejects nonsensical options early", () => {
    expect(() => new InfrahubClientRegistry({ retry: { maxAttempts: 0 } })).toThrow(RangeError);
    expect(() => new InfrahubClientRegistry({ timeoutMs: Number.NaN })).toThrow(RangeError);
  });

  describe("holders", () => {
    it("drops a client when its last holder is released, with its pool and breaker", () => {
      const a = registry.get(password("one"), "sync-a");
      expect(registry.get(password("one"), "sync-b")).toBe(a);
      registry.release("sync-a");
      expect(registry.size).toBe(1);
      registry.release("sync-b");
      expect(registry.size).toBe(0);
      expect(registry.pools).toEqual({ agents: 0, breakers: 0 });
      // A new holder gets a new client (and a new login).
      expect(registry.get(password("one"), "sync-a")).not.toBe(a);
    });

    it("moves a holder to its new client when its credential rotates", () => {
      const old = registry.get(password("one"), "sync-a");
      const rotated = registry.get(password("two"), "sync-a");
      expect(rotated).not.toBe(old);
      expect(registry.size).toBe(1);
      // The pool and breaker of the address are shared by both identities, so they stay.
      expect(registry.pools).toEqual({ agents: 1, breakers: 1 });
      expect(registry.get(password("two"), "sync-a")).toBe(rotated);
      expect(registry.size).toBe(1);
    });

    it("keeps a pool while another client of the address uses it", () => {
      registry.get(password("one"), "sync-a");
      registry.get(password("two"), "sync-b");
      registry.get(password("one", "bot", "http://other.test:8000"), "sync-c");
      expect(registry.pools).toEqual({ agents: 2, breakers: 2 });
      registry.release("sync-a");
      expect(registry.pools).toEqual({ agents: 2, breakers: 2 });
      registry.release("sync-c");
      expect(registry.pools).toEqual({ agents: 1, breakers: 1 });
    });

    it("stays at the live holders' size over thousands of rotations and deletions", () => {
      for (let i = 0; i < 5000; i++) {
        registry.get(
          password(`pw-${i}`, `user-${i % 7}`, `http://infra-${i % 13}.test:8000`),
          `sync-${i % 50}`,
        );
        if (i % 3 === 0) registry.release(`sync-${(i * 7) % 50}`);
      }
      for (let h = 0; h < 50; h++) registry.release(`sync-${h}`);
      expect(registry.size).toBe(0);
      expect(registry.pools).toEqual({ agents: 0, breakers: 0 });
    });

    it("keeps clients handed out without a holder until close", () => {
      const a = registry.get(password("one"));
      registry.release("anything");
      expect(registry.get(password("one"), "sync-a")).toBe(a);
      registry.release("sync-a");
      expect(registry.size).toBe(1);
    });

    it("ignores releasing an unknown holder", () => {
      registry.release("nobody");
      expect(registry.size).toBe(0);
    });
  });
});
