import { displayUrl, httpUrlProblem, inClusterAliasProblem, isLocalServer, urlHost } from "./url";

const rules = {
  example: "https://infrahub.example.com",
  credentialsGoTo: "a Secret referenced by credentialsSecretRef",
};
const problem = (v: string) => httpUrlProblem(v, rules);

describe("httpUrlProblem", () => {
  test.each([
    "https://infrahub.example.com",
    "http://infrahub:8000",
    "https://infrahub.example.com/",
    "https://proxy.example.com/infrahub/api-prefix",
    "http://127.0.0.1:8000",
    "http://[::1]:8000",
    "HTTPS://Infrahub.Example.COM",
    "https://infrahub-server.infrahub.orb.local",
    "https://bücher.example",
  ])("accepts %s", url => {
    expect(problem(url)).toBeUndefined();
  });

  test.each([
    ["", /^is empty: give an absolute http\(s\) URL, e\.g\. "https:\/\/infrahub\.example\.com"$/],
    ["   ", /^is empty/],
    [" https://a.example", /^has spaces at the start or end: remove them$/],
    ["https://a.example/x y", /contains spaces or control characters/],
    ["https://a.example/\tx", /contains spaces or control characters/],
    ["infrahub.example.com", /must be an absolute URL starting with http:\/\/ or https:\/\//],
    ["https:infrahub.example.com", /must be an absolute URL starting with http:\/\/ or https:\/\//],
    ["ftp://infrahub.example.com", /^must use http or https, not ftp: e\.g\./],
    ["ws://infrahub.example.com", /not ws/],
    ["opaque://infrahub.example.com", /^must use http or https: e\.g\./],
    [
      "https://admin:s3cr3t@infrahub.example.com",
      /must not contain credentials \(user:password@\).*a Secret referenced by credentialsSecretRef/,
    ],
    ["https://admin@infrahub.example.com", /must not contain credentials/],
    ["https://@infrahub.example.com", /must not contain credentials/],
    ["https:///path", /^has no host/],
    ["https://", /^has no host/],
    ["https://a.example\\path", /must not contain "\\": separate path segments with "\/"/],
    ["https://a.example/?x=1", /must not have a query string \(\?…\) or fragment \(#…\)/],
    ["https://a.example?", /must not have a query string/],
    ["https://a.example#", /must not have a query string/],
    ["https://a.example/#top", /must not have a query string/],
    ["https://a.example:99999", /is not a valid URL \(check the host name and the port\)/],
    ["https://a.example:port", /is not a valid URL/],
    ["https://a_b.example", /has an invalid host "a_b\.example"/],
    ["https://-a.example", /has an invalid host/],
    ["https://a..example", /has an invalid host/],
    ["https://a.example:0", /has port 0/],
  ])("denies %j", (url, expected) => {
    const p = problem(url);
    expect(p).toMatch(expected);
    expect(p).not.toContain(";");
  });

  test("never repeats a URL that may hold a password", () => {
    for (const url of [
      "https://admin:s3cr3t@infrahub.example.com",
      "admin:s3cr3t@infrahub.example.com",
      "https://admin:s3cr3t@",
      "https://infrahub.example.com:s3cr3t",
      "s3cr3t://x",
      "https://infrahub.example.com/?token=s3cr3t",
    ]) {
      expect(problem(url) ?? "").not.toContain("s3cr3t");
    }
  });
});

describe("displayUrl", () => {
  test("shows scheme, host, port and path only", () => {
    expect(displayUrl("https://u:p@api.example.com:6443/k8s/?x=1#f")).toBe(
      '"https://api.example.com:6443/k8s"',
    );
    expect(displayUrl("not a url")).toBe("(an invalid URL)");
  });
});

describe("inClusterAliasProblem", () => {
  test.each([
    "",
    "https://kubernetes.default.svc",
    "https://kubernetes.default.svc:443",
    "https://api.example.com:6443",
    "::",
  ])("accepts %j", s => expect(inClusterAliasProblem(s)).toBeUndefined());
  test.each([
    "https://kubernetes.default.svc/",
    "https://kubernetes.default.svc.cluster.local",
    "https://kubernetes.default.svc.cluster.local.:443",
    "https://kubernetes.default",
    "https://kubernetes",
    "http://kubernetes.default.svc",
  ])("denies %j", s =>
    expect(inClusterAliasProblem(s)).toMatch(
      /only an empty server or exactly "https:\/\/kubernetes\.default\.svc"/,
    ),
  );
});

describe("helpers the sync code shares", () => {
  test("isLocalServer", () => {
    expect(isLocalServer(undefined)).toBe(true);
    expect(isLocalServer("")).toBe(true);
    expect(isLocalServer("https://kubernetes.default.svc")).toBe(true);
    expect(isLocalServer("https://kubernetes.default.svc:443")).toBe(true);
    expect(isLocalServer("https://k8s.example.com:6443")).toBe(false);
  });
  test("urlHost", () => {
    expect(urlHost("https://Infrahub.example.com:8443/x")).toBe("infrahub.example.com");
    expect(urlHost("http://[::1]:8000")).toBe("::1");
    expect(urlHost("nope")).toBe("");
  });
});
