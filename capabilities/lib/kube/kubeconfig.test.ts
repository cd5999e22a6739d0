import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump } from "js-yaml";
import { startConnectProxy } from "../../../tests/support/connect-proxy";
import { KubeClient } from "./client";
import { ClusterTransport } from "./transport";
import {
  accessFromKubeconfigText,
  ClusterAccess,
  defaultAccess,
  execAllowList,
  KubeconfigError,
  loadKubeconfigFiles,
  sameServer,
} from "./kubeconfig";

let dir: string;
let server: Server;
let base: string;
let seen: IncomingHttpHeaders[] = [];
let answer401 = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kubeconfig-test-"));
  server = createServer((req, res) => {
    seen.push(req.headers);
    if (answer401 > 0) {
      answer401--;
      res.writeHead(401, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", code: 401, reason: "Unauthorized" }));
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ kind: "Version" }));
  });
  await new Promise<void>(r => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise(r => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
  answer401 = 0;
});

interface Kc {
  clusters?: Array<{ name: string; cluster: Record<string, unknown> }>;
  users?: Array<{ name: string; user: Record<string, unknown> }>;
  contexts?: Array<{ name: string; context: Record<string, unknown> }>;
  "current-context"?: string;
}

function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = {}): Kc {
  return {
    clusters: [{ name: "c", cluster: { server: base, ...cluster } }],
    users: [{ name: "u", user }],
    contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
    "current-context": "ctx",
  };
}

function file(name: string, content: string | Kc, mode?: number): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : dump(content));
  if (mode) chmodSync(path, mode);
  return path;
}

async function headersFor(access: ClusterAccess, opts = {}): Promise<IncomingHttpHeaders> {
  const kube = new KubeClient(access, { maxAttempts: 1, ...opts });
  try {
    await kube.get("/version");
    return seen[seen.length - 1];
  } finally {
    kube.close();
  }
}

const fromFile = (path: string) =>
  ClusterAccess.select(loadKubeconfigFiles([path]), { origin: path, allowFiles: true });

describe("choosing the context", () => {
  const two: Kc = {
    clusters: [
      { name: "a", cluster: { server: "https://a.example.com:6443" } },
      { name: "b", cluster: { server: "https://B.example.com/" } },
    ],
    users: [{ name: "u", user: { token: "t" } }],
    contexts: [
      { name: "to-a", context: { cluster: "a", user: "u" } },
      { name: "to-b", context: { cluster: "b", user: "u" } },
    ],
    "current-context": "to-a",
  };

  test("a remote destination uses the context whose cluster is its server, not current-context", () => {
    const access = accessFromKubeconfigText(dump(two), {
      origin: "Secret x/y",
      server: "https://b.example.com:443",
    });
    expect(access.server).toBe("https://B.example.com");
  });

  test("no context for the server is a non-retryable error naming what the kubeconfig has", () => {
    let err: unknown;
    try {
      accessFromKubeconfigText(dump(two), {
        origin: "Secret x/y",
        server: "https://c.example.com",
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KubeconfigError);
    expect((err as KubeconfigError).retryable).toBe(false);
    expect((err as Error).message).toContain("Secret x/y has no context for https://c.example.com");
    expect((err as Error).message).toContain("https://a.example.com:6443");
    expect((err as Error).message).not.toContain('"t"');
  });

  test("servers compare by scheme, host and port, with default ports", () => {
    expect(sameServer("https://h", "https://H:443/")).toBe(true);
    expect(sameServer("https://h:6443", "https://h")).toBe(false);
    expect(sameServer("http://h", "https://h")).toBe(false);
  });
});

describe("KUBECONFIG", () => {
  test("several files merge as kubectl merges them: the first to name something wins", () => {
    const first = file("first.yaml", {
      clusters: [{ name: "c", cluster: { server: base } }],
      users: [{ name: "u", user: { token: "from-first" } }],
      contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
    });
    const second = file("second.yaml", {
      clusters: [{ name: "c", cluster: { server: "https://ignored.example.com" } }],
      users: [
        { name: "u", user: { token: "ignored" } },
        { name: "other", user: { token: "x" } },
      ],
      contexts: [{ name: "other", context: { cluster: "c", user: "other" } }],
      "current-context": "ctx",
    });
    const third = file("third.yaml", { "current-context": "other" } as Kc);
    const access = defaultAccess({
      KUBECONFIG: `${join(dir, "missing.yaml")}:${first}:${second}:${third}`,
    });
    expect(access.server).toBe(base);
    return headersFor(access).then(h => expect(h.authorization).toBe("Bearer from-first"));
  });

  test("a KUBECONFIG naming only missing files is an error, not a silent fallback", () => {
    expect(() => defaultAccess({ KUBECONFIG: join(dir, "nope.yaml") })).toThrow(
      /none of the files in KUBECONFIG exists/,
    );
  });

  test("relative file references resolve against the kubeconfig's directory", async () => {
    file("token.txt", "from-file\n");
    const access = fromFile(file("relative.yaml", kubeconfig({ tokenFile: "token.txt" })));
    expect((await headersFor(access)).authorization).toBe("Bearer from-file");
    file(
      "rel-exec.sh",
      `#!/bin/sh\nprintf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"rel"}}'\n`,
      0o755,
    );
    const exec = { apiVersion: "client.authentication.k8s.io/v1", command: "./rel-exec.sh" };
    const viaExec = fromFile(file("relative-exec.yaml", kubeconfig({ exec })));
    expect((await headersFor(viaExec)).authorization).toBe("Bearer rel");
  });
});

describe("credentials and identity", () => {
  test("tokenFile is read (and trimmed) rather than dropped; token wins over it", async () => {
    const tokenFile = file("t2.txt", "file-token\n");
    expect(
      (await headersFor(fromFile(file("tf.yaml", kubeconfig({ tokenFile }))))).authorization,
    ).toBe("Bearer file-token");
    const both = fromFile(file("both.yaml", kubeconfig({ tokenFile, token: "inline" })));
    expect((await headersFor(both)).authorization).toBe("Bearer inline");
  });

  test("as, as-groups, as-uid and as-user-extra become Impersonate-* headers", async () => {
    const access = fromFile(
      file(
        "as.yaml",
        kubeconfig({
          token: "t",
          as: "alice",
          "as-groups": ["dev", "ops"],
          "as-uid": "42",
          "as-user-extra": { scopes: ["a", "b"] },
        }),
      ),
    );
    const h = await headersFor(access);
    expect(h["impersonate-user"]).toBe("alice");
    expect(h["impersonate-group"]).toBe("dev, ops");
    expect(h["impersonate-uid"]).toBe("42");
    expect(h["impersonate-extra-scopes"]).toBe("a, b");
  });

  test("the client's impersonation replaces the kubeconfig's", async () => {
    const access = fromFile(file("as2.yaml", kubeconfig({ token: "t", as: "alice" })));
    const h = await headersFor(access, {
      impersonate: { user: "system:serviceaccount:team:deployer" },
    });
    expect(h["impersonate-user"]).toBe("system:serviceaccount:team:deployer");
    expect(h["impersonate-group"]).toBeUndefined();
  });

  test("an exec plugin's token is used, cached, and fetched again after a 401", async () => {
    const counter = join(dir, "exec-count");
    writeFileSync(counter, "");
    const script = file(
      "exec.sh",
      `#!/bin/sh\necho x >> ${counter}\nn=$(wc -l < ${counter} | tr -d ' ')\n` +
        `printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-%s"}}' "$n"\n`,
      0o755,
    );
    const access = fromFile(
      file(
        "exec.yaml",
        kubeconfig({
          exec: { apiVersion: "client.authentication.k8s.io/v1", command: script },
        }),
      ),
    );
    expect(access.dynamicAuth).toBe(true);
    const kube = new KubeClient(access, { maxAttempts: 1 });
    try {
      await kube.get("/version");
      await kube.get("/version");
      expect(seen.map(h => h.authorization)).toEqual(["Bearer exec-1", "Bearer exec-1"]);
      answer401 = 1;
      await kube.get("/version");
      // A credential without an expiry is reused until the server refuses it (client-go does the
      // same); the 401 runs the plugin again and the request is sent once more.
      expect(seen.map(h => h.authorization)).toEqual([
        "Bearer exec-1",
        "Bearer exec-1",
        "Bearer exec-1",
        "Bearer exec-2",
      ]);
      expect(readFileSync(counter, "utf8").trim().split("\n")).toHaveLength(2);
    } finally {
      kube.close();
    }
  });
});

describe("kubeconfigs from Secrets", () => {
  test.each([
    [{ "certificate-authority": "/etc/ca.crt" }, {}, "certificate authority"],
    [{}, { "client-certificate": "/x.crt", "client-key": "/x.key" }, "client certificate"],
    [{}, { tokenFile: "/var/run/secrets/kubernetes.io/serviceaccount/token" }, "token file"],
    // client-node's own key, which it would read while parsing (the operator's token, sent away).
    [{}, { "token-file": "/var/run/secrets/kubernetes.io/serviceaccount/token" }, "token file"],
  ])("a path into the operator's filesystem is refused (%#)", (cluster, user, what) => {
    expect(() =>
      accessFromKubeconfigText(dump(kubeconfig(user, cluster)), { origin: "Secret a/b" }),
    ).toThrow(new RegExp(`refers to a ${what} file .*must embed it`));
  });

  test("exec plugins run only when allowed by name", () => {
    const text = dump(kubeconfig({ exec: { command: "aws", args: ["eks", "get-token"] } }));
    expect(() =>
      accessFromKubeconfigText(text, { origin: "Secret a/b", execAllowed: execAllowList("") }),
    ).toThrow(
      /runs the command aws, which the operator is not allowed to run.*VIDRA_KUBECONFIG_EXEC_COMMANDS/,
    );
    expect(
      accessFromKubeconfigText(text, {
        origin: "Secret a/b",
        execAllowed: execAllowList("kubelogin, aws"),
      }).dynamicAuth,
    ).toBe(true);
  });

  test("auth providers that run a command (cmd-path, exec) need the allow-list too", () => {
    for (const config of [{ "cmd-path": "/usr/bin/gcloud" }, { exec: { command: "oidc-login" } }]) {
      const text = dump(kubeconfig({ "auth-provider": { name: "gcp", config } }));
      expect(() =>
        accessFromKubeconfigText(text, { origin: "Secret a/b", execAllowed: execAllowList("aws") }),
      ).toThrow(/runs the command (gcloud|oidc-login), which the operator is not allowed to run/);
    }
  });

  test("an invalid entry is refused with where it is, as client-node validates it", () => {
    const text = dump({ clusters: [{ name: "c", cluster: {} }], contexts: [], users: [] });
    expect(() => accessFromKubeconfigText(text, { origin: "Secret a/b" })).toThrow(
      /Secret a\/b is not a valid kubeconfig: clusters\[0\]\.cluster\.server is missing/,
    );
  });

  test("a socks proxy-url is refused with what to use instead", () => {
    expect(() =>
      accessFromKubeconfigText(
        dump(kubeconfig({ token: "t" }, { "proxy-url": "socks5://p:1080" })),
        {
          origin: "Secret a/b",
        },
      ),
    ).toThrow(/proxy-url the operator cannot use/);
  });
});

describe("proxies", () => {
  test("proxy-url, and HTTP_PROXY/NO_PROXY from the environment, route requests", async () => {
    const proxy = await startConnectProxy();
    const port = new URL(base).port;
    try {
      const viaUrl = fromFile(
        file("p1.yaml", kubeconfig({ token: "t" }, { "proxy-url": proxy.url })),
      );
      await headersFor(viaUrl);
      expect(proxy.tunnels).toEqual([`127.0.0.1:${port}`]);

      const plain = fromFile(file("p2.yaml", kubeconfig({ token: "t" })));
      const t = new ClusterTransport(plain, { env: { HTTP_PROXY: proxy.url } });
      expect(t.proxy).toBe(proxy.url);
      expect((await t.send("GET", "/version", undefined, {}, 5_000)).status).toBe(200);
      t.close();
      expect(proxy.tunnels).toHaveLength(2);

      const exempt = new ClusterTransport(plain, {
        env: { HTTP_PROXY: proxy.url, NO_PROXY: `localhost,127.0.0.1:${port}` },
      });
      expect(exempt.proxy).toBeUndefined();
      exempt.close();
    } finally {
      await proxy.stop();
    }
  });
});
