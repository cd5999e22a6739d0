import { describeProxy, noProxyMatches, proxyFromEnv } from "./proxy";

const u = (s: string) => new URL(s);

test("HTTPS_PROXY for https, HTTP_PROXY for http, lower-case names first, scheme defaulted", () => {
  const env = {
    HTTPS_PROXY: "http://upper:1",
    https_proxy: "lower:3128",
    HTTP_PROXY: "http://h:2",
  };
  expect(proxyFromEnv(u("https://api.example.com"), env)).toBe("http://lower:3128");
  expect(proxyFromEnv(u("http://api.example.com"), env)).toBe("http://h:2");
  expect(proxyFromEnv(u("https://api.example.com"), {})).toBeUndefined();
});

test.each([
  ["*", "https://anything.example.com", true],
  ["example.com", "https://example.com", true],
  ["example.com", "https://api.example.com", true],
  [".example.com", "https://api.example.com", true],
  ["example.com", "https://notexample.com", false],
  ["10.0.0.0/8", "https://10.1.2.3:6443", true],
  ["10.0.0.0/8", "https://11.1.2.3:6443", false],
  ["127.0.0.1", "https://127.0.0.1:6443", true],
  ["127.0.0.1:6443", "https://127.0.0.1:6443", true],
  ["127.0.0.1:6443", "https://127.0.0.1:7443", false],
  ["fd00::/8", "https://[fd12::1]:6443", true],
  ["::1", "https://[::1]", true],
  ["localhost", "https://127.0.0.1", false],
])("NO_PROXY=%s for %s: %s", (noProxy, target, exempt) => {
  expect(noProxyMatches(u(target), { NO_PROXY: noProxy })).toBe(exempt);
  expect(proxyFromEnv(u(target), { HTTPS_PROXY: "http://p:1", no_proxy: noProxy })).toBe(
    exempt ? undefined : "http://p:1",
  );
});

test("a proxy is described without its credentials", () => {
  expect(describeProxy("http://user:secret@proxy.example.com:3128")).toBe(
    "http://proxy.example.com:3128",
  );
});
