import { createHash } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { urlToHttpOptions } from "node:url";
import { OperatorError, errorMessage } from "../errors";
import { createHttpAgent, describeProxy, proxyFromEnv, type Env } from "../net/proxy";
import type { ClusterAccess, Impersonation } from "./kubeconfig";

/**
 * Requests to one API server, authenticated by the cluster's KubeConfig and sent over a keep-alive
 * agent of ours. KubeConfig.applyToHTTPSOptions says how to authenticate (TLS material, headers,
 * exec plugins, token files) but builds a new agent without keep-alive on every call; sending 16
 * server-side applies at a time over such agents costs a TLS handshake per request, so the agent is
 * built here from the same TLS options and replaced only when they change (an exec plugin's
 * rotated client certificate). Measured in BENCHMARKS.md.
 */

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** The credentials could not be obtained (an exec plugin failed, a token file is missing). */
export class KubeAuthError extends OperatorError {
  constructor(message: string, cause?: unknown) {
    super(message, { reason: "KubernetesAuthFailed", retryable: true, cause });
  }
}

export interface TransportOptions {
  maxSockets?: number;
  /** Requests are made as this identity, replacing the kubeconfig's `as`/`as-groups`. */
  impersonate?: Impersonation;
  /** Where HTTPS_PROXY/HTTP_PROXY/NO_PROXY are read from (default process.env). */
  env?: Env;
  /** How long credentials that change (exec, token files, auth providers) are reused. */
  dynamicAuthTtlMs?: number;
  /** User-Agent of every request, watches included. */
  userAgent?: string;
}

interface Resolved {
  headers: Record<string, string | string[]>;
  agent: http.Agent;
  at: number;
}

function impersonationHeaders(i: Impersonation): Record<string, string | string[]> {
  const h: Record<string, string | string[]> = {};
  if (i.user) h["Impersonate-User"] = i.user;
  if (i.groups?.length) h["Impersonate-Group"] = i.groups;
  if (i.uid) h["Impersonate-Uid"] = i.uid;
  for (const [k, v] of Object.entries(i.extra ?? {}))
    h[`Impersonate-Extra-${encodeURIComponent(k)}`] = v;
  return h;
}

export class ClusterTransport {
  readonly server: string;
  /** The proxy in use (kubeconfig proxy-url, else the environment's), or undefined. */
  readonly proxy: string | undefined;
  private readonly target: URL;
  private readonly secure: boolean;
  /** Protocol, host and port (IPv6 brackets removed) of the API server, for every request. */
  private readonly endpoint: { protocol: string; hostname: string; port: string | number };
  /** The server URL's own path (`https://rancher/k8s/clusters/c-1`), put before every API path. */
  private readonly pathPrefix: string;
  private resolved: Resolved | undefined;
  private pending: Promise<Resolved> | undefined;
  private agent: http.Agent | undefined;
  private agentKey: string | undefined;
  private readonly retired = new Set<http.Agent>();
  private closed = false;
  private readonly userAgent: Record<string, string>;

  constructor(
    readonly access: ClusterAccess,
    private readonly opts: TransportOptions = {},
  ) {
    this.server = access.server;
    this.target = new URL(this.server);
    this.secure = this.target.protocol === "https:";
    const { hostname, port } = urlToHttpOptions(this.target);
    this.endpoint = {
      protocol: this.target.protocol,
      hostname: hostname ?? "",
      port: port ?? (this.secure ? 443 : 80),
    };
    this.pathPrefix = this.target.pathname.replace(/\/+$/, "");
    this.proxy = access.proxyUrl ?? proxyFromEnv(this.target, opts.env ?? process.env);
    this.userAgent = opts.userAgent ? { "User-Agent": opts.userAgent } : {};
  }

  /** The current credentials and agent; re-obtained after the TTL when they can change. */
  private auth(): Promise<Resolved> {
    const r = this.resolved;
    const ttl = this.opts.dynamicAuthTtlMs ?? 30_000;
    if (r && (!this.access.dynamicAuth || Date.now() - r.at < ttl)) return Promise.resolve(r);
    return (this.pending ??= this.resolve().finally(() => (this.pending = undefined)));
  }

  /** Forget the credentials (a 401: an exec token may have been revoked before its expiry). */
  invalidate(): void {
    this.resolved = undefined;
  }

  private async resolve(): Promise<Resolved> {
    const o: https.RequestOptions = { headers: {} };
    try {
      await this.access.kubeConfig.applyToHTTPSOptions(o);
    } catch (err) {
      throw new KubeAuthError(
        `${this.access.origin}: could not obtain credentials for ${this.server}: ${errorMessage(err).slice(0, 300)}`,
        err,
      );
    }
    const tls: https.AgentOptions = {};
    for (const k of ["ca", "cert", "key", "servername", "rejectUnauthorized"] as const) {
      if (o[k] !== undefined && o[k] !== null) (tls as Record<string, unknown>)[k] = o[k];
    }
    const key = createHash("sha256")
      .update(JSON.stringify([tls.ca, tls.cert, tls.key, tls.servername, tls.rejectUnauthorized]))
      .digest("hex");
    if (key !== this.agentKey || !this.agent) {
      if (this.agent) this.retire(this.agent);
      this.agent = createHttpAgent({
        target: this.target,
        proxy: this.proxy,
        tls,
        maxSockets: this.opts.maxSockets,
      });
      this.agentKey = key;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(o.headers ?? {})) {
      // KubeConfig sends a token file's content as read, trailing newline included.
      if (typeof v === "string") headers[k] = v.trim();
      else if (Array.isArray(v)) headers[k] = v;
      else if (typeof v === "number") headers[k] = String(v);
    }
    if (o.auth) headers.Authorization = `Basic ${Buffer.from(o.auth).toString("base64")}`;
    const impersonate = this.opts.impersonate ?? this.access.impersonation;
    delete headers["Impersonate-User"];
    Object.assign(headers, impersonationHeaders(impersonate));
    this.resolved = { headers, agent: this.agent, at: Date.now() };
    return this.resolved;
  }

  /** An agent whose credentials were replaced: its requests finish, then it is closed. */
  private retire(agent: http.Agent): void {
    this.retired.add(agent);
    setTimeout(() => {
      agent.destroy();
      this.retired.delete(agent);
    }, 60_000).unref();
  }

  private describe(err: unknown): string {
    const via = this.proxy ? ` through proxy ${describeProxy(this.proxy)}` : "";
    return `${errorMessage(err)}${via}`;
  }

  /**
   * Sends one request and buffers the answer. Rejects only when no response arrived, or when
   * `beforeSend` (asked once the request's socket is connected, in the same tick as its bytes are
   * written, the re-send after a 401 included) throws: then nothing is sent.
   */
  async send(
    method: string,
    pathAndQuery: string,
    body: string | undefined,
    headers: Record<string, string>,
    timeoutMs: number,
    beforeSend?: () => void,
  ): Promise<RawResponse> {
    const args = [method, pathAndQuery, body, headers, timeoutMs, beforeSend] as const;
    const first = await this.sendOnce(...args);
    if (first.status !== 401 || !this.access.dynamicAuth) return first;
    this.invalidate();
    return this.sendOnce(...args);
  }

  private async sendOnce(
    method: string,
    pathAndQuery: string,
    body: string | undefined,
    headers: Record<string, string>,
    timeoutMs: number,
    beforeSend: (() => void) | undefined,
  ): Promise<RawResponse> {
    const auth = await this.auth();
    const { req, response } = this.start(auth, method, pathAndQuery, body, headers, beforeSend);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    const res = await response;
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
  }

  /** Hands one request to the socket; `response` rejects when none arrives. */
  private start(
    auth: Resolved,
    method: string,
    pathAndQuery: string,
    body: string | undefined,
    headers: Record<string, string>,
    beforeSend?: () => void,
  ): { req: http.ClientRequest; response: Promise<http.IncomingMessage> } {
    const length = body !== undefined ? { "Content-Length": String(Buffer.byteLength(body)) } : {};
    // The server's address was parsed once (constructor); only the path changes per request.
    const req = (this.secure ? https : http).request({
      ...this.endpoint,
      path: this.pathPrefix + pathAndQuery,
      method,
      agent: auth.agent,
      headers: {
        Accept: "application/json",
        ...this.userAgent,
        ...auth.headers,
        ...length,
        ...headers,
      },
    });
    let refusal: unknown;
    const response = new Promise<http.IncomingMessage>((resolve, reject) => {
      req.on("response", resolve);
      req.on("error", err => reject(refusal ?? new Error(this.describe(err), { cause: err })));
    });
    if (!beforeSend) req.end(body);
    else
      req.once("socket", socket => {
        // Nothing of a request is written before end(). The fence is asked once the bytes can
        // leave at once: a socket still connecting (or in its TLS handshake) would hold them, and a
        // process paused there (SIGSTOP, a frozen VM) would send them after losing its lease.
        const go = (): void => {
          try {
            beforeSend();
          } catch (err) {
            refusal = err;
            req.destroy(err as Error);
            return;
          }
          req.end(body);
        };
        if (socket.connecting) socket.once(this.secure ? "secureConnect" : "connect", go);
        else go();
      });
    return { req, response };
  }

  /**
   * Opens a streaming GET (watches); the caller consumes and destroys the response. Only the wait
   * for the headers is bounded here: an open watch may be silent for a while (the watcher's idle
   * watchdog covers that).
   */
  openStream(
    pathAndQuery: string,
    timeoutMs: number,
  ): { response: Promise<http.IncomingMessage>; abort: () => void } {
    let req: http.ClientRequest | undefined;
    let aborted = false;
    const response = this.auth().then(async auth => {
      if (aborted) throw new Error("watch aborted");
      const started = this.start(auth, "GET", pathAndQuery, undefined, {});
      req = started.req;
      req.setTimeout(timeoutMs, () =>
        req?.destroy(new Error(`watch not answered within ${timeoutMs} ms`)),
      );
      const res = await started.response;
      res.socket?.setTimeout(0);
      if (res.statusCode === 401 && this.access.dynamicAuth) this.invalidate();
      return res;
    });
    return {
      response,
      abort: () => {
        aborted = true;
        req?.destroy();
      },
    };
  }

  close(): void {
    this.closed = true;
    this.agent?.destroy();
    for (const a of this.retired) a.destroy();
    this.retired.clear();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
