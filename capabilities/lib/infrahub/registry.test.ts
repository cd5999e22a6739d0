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
});
