import http from "node:http";
import https from "node:https";
import { readFileSync } from "node:fs";
import type { ClusterConnection } from "./connection";

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Builds keep-alive agents and auth headers for one API server; reused by every request to it. */
export class ClusterTransport {
  readonly agent: http.Agent;
  private readonly isHttps: boolean;

  constructor(
    readonly conn: ClusterConnection,
    maxSockets = 64,
  ) {
    this.isHttps = conn.server.startsWith("https:");
    const common = { keepAlive: true, maxSockets, scheduling: "lifo" as const };
    this.agent = this.isHttps
      ? new https.Agent({
          ...common,
          ca: conn.caPem,
          cert: conn.certPem,
          key: conn.keyPem,
          rejectUnauthorized: !conn.insecureSkipTlsVerify,
        })
      : new http.Agent(common);
  }

  private authHeader(): string | undefined {
    const token =
      this.conn.token ??
      (this.conn.tokenFile ? readFileSync(this.conn.tokenFile, "utf8").trim() : undefined);
    return token ? `Bearer ${token}` : undefined;
  }

  /** Authorization, plus Impersonate-User when the connection acts as someone else. */
  private identityHeaders(): Record<string, string> {
    const auth = this.authHeader();
    return {
      ...(auth ? { Authorization: auth } : {}),
      ...(this.conn.impersonateUser ? { "Impersonate-User": this.conn.impersonateUser } : {}),
    };
  }

  /** Sends one request and buffers the answer. Rejects only when no response arrived. */
  send(
    method: string,
    pathAndQuery: string,
    body: string | undefined,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<RawResponse> {
    const url = new URL(pathAndQuery, this.conn.server + "/");
    const identity = this.identityHeaders();
    const mod = this.isHttps ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            Accept: "application/json",
            ...identity,
            ...(body !== undefined ? { "Content-Length": String(Buffer.byteLength(body)) } : {}),
            ...headers,
          },
        },
        res => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks),
            }),
          );
          res.on("error", reject);
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on("error", reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /** Opens a streaming GET (watches); the caller consumes and destroys the response. */
  openStream(
    pathAndQuery: string,
    timeoutMs: number,
  ): { response: Promise<http.IncomingMessage>; abort: () => void } {
    const url = new URL(pathAndQuery, this.conn.server + "/");
    const identity = this.identityHeaders();
    const mod = this.isHttps ? https : http;
    let req: http.ClientRequest | undefined;
    const response = new Promise<http.IncomingMessage>((resolve, reject) => {
      req = mod.request(
        url,
        {
          method: "GET",
          agent: this.agent,
          headers: { Accept: "application/json", ...identity },
        },
        resolve,
      );
      // Only the wait for headers is bounded; an open watch may be silent for a long time.
      req.setTimeout(timeoutMs, () =>
        req?.destroy(new Error(`watch not answered within ${timeoutMs} ms`)),
      );
      req.on("response", res => res.socket?.setTimeout(0));
      req.on("error", reject);
      req.end();
    });
    return { response, abort: () => req?.destroy() };
  }

  close(): void {
    this.agent.destroy();
  }
}
