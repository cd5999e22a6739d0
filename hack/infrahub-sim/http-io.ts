import type { IncomingMessage, ServerResponse } from "node:http";
import type { Credentials } from "./auth";

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Infrahub's error envelope (`exceptions.py::Error.api_response`); the HTTP status equals `code`. */
export function envelope(
  status: number,
  message: string,
): { data: null; errors: Array<{ message: string; extensions: { code: number } }> } {
  return { data: null, errors: [{ message, extensions: { code: status } }] };
}

/** Codes of Infrahub's GraphQL error catalogue (`errors/catalogue.py`) that the simulator uses. */
export type CatalogueCode = "AUTHENTICATION_REQUIRED" | "TOKEN_EXPIRED" | "UNDEFINED_ERROR";

/**
 * The GraphQL error catalogue's extensions (`graphql/error_formatter.py`): a string `code`, the
 * HTTP status it stands for and a typed `data` payload. Errors inside a 200 GraphQL answer carry
 * `UNDEFINED_ERROR` / 500; errors that end a /graphql request early carry the real status.
 */
export function catalogueExtensions(
  code: CatalogueCode,
  httpStatus: number,
): { code: CatalogueCode; http_status: number; data: Record<string, unknown> } {
  return {
    code,
    http_status: httpStatus,
    data: code === "TOKEN_EXPIRED" ? { expired_at: null } : {},
  };
}

/**
 * One request/response pair. Every answer goes through `send`, which stamps `X-Process-Time`
 * (seconds, like Infrahub's middleware) and reports the status to the request log exactly once.
 */
export class Exchange {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  endpoint = "";
  private finished = false;
  private bodyText?: Promise<string>;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    private readonly started: bigint,
    private readonly onFinish: (ex: Exchange, status: number) => void,
  ) {
    this.method = (req.method ?? "GET").toUpperCase();
    const raw = req.url ?? "/";
    const q = raw.indexOf("?");
    this.path = q === -1 ? raw : raw.slice(0, q);
    this.query = new URLSearchParams(q === -1 ? "" : raw.slice(q + 1));
  }

  header(name: string): string | undefined {
    const value = this.req.headers[name];
    return Array.isArray(value) ? value.join(", ") : value;
  }

  /** Request headers with lower-case names, for the request log. */
  headers(): Record<string, string | undefined> {
    const out: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(this.req.headers))
      out[name] = Array.isArray(value) ? value.join(", ") : value;
    return out;
  }

  /** `X-INFRAHUB-KEY`, `Authorization: Bearer` (scheme case-insensitive, others ignored) and cookies. */
  credentials(): Credentials {
    const creds: Credentials = {};
    const apiKey = this.header("x-infrahub-key");
    if (apiKey) creds.apiKey = apiKey;
    const authorization = this.header("authorization");
    if (authorization) {
      const space = authorization.indexOf(" ");
      const scheme = space === -1 ? authorization : authorization.slice(0, space);
      const value = space === -1 ? "" : authorization.slice(space + 1).trim();
      if (scheme.toLowerCase() === "bearer" && value) creds.bearer = value;
    }
    const cookie = this.header("cookie");
    if (cookie) {
      for (const part of cookie.split(";")) {
        const eq = part.indexOf("=");
        if (eq === -1) continue;
        const name = part.slice(0, eq).trim();
        const value = part.slice(eq + 1).trim();
        if (name === "access_token" && value) creds.accessCookie = value;
        if (name === "refresh_token" && value) creds.refreshCookie = value;
      }
    }
    return creds;
  }

  /** The request body as UTF-8 text (read once). */
  body(): Promise<string> {
    this.bodyText ??= new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      this.req.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          reject(new Error(`request body over ${MAX_BODY_BYTES} bytes`));
          this.req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      this.req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      this.req.on("error", reject);
    });
    return this.bodyText;
  }

  /** Lets an unread body flow away so a keep-alive connection stays usable. */
  drain(): void {
    if (!this.bodyText && !this.req.readableEnded) this.req.resume();
  }

  get isFinished(): boolean {
    return this.finished;
  }

  send(
    status: number,
    body: string | Buffer,
    headers: Record<string, string | number | string[]> = {},
  ): void {
    if (this.finished) return;
    this.drain();
    const payload = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    this.res.writeHead(status, {
      ...headers,
      "Content-Length": payload.length,
      "X-Process-Time": this.elapsed(),
    });
    this.res.end(payload);
    this.finish(status);
  }

  json(
    status: number,
    value: unknown,
    headers: Record<string, string | number | string[]> = {},
  ): void {
    this.send(status, JSON.stringify(value), { "Content-Type": "application/json", ...headers });
  }

  /** The §0 envelope with `status` as both HTTP status and `extensions.code`. */
  error(
    status: number,
    message: string,
    headers: Record<string, string | number | string[]> = {},
  ): void {
    this.json(status, envelope(status, message), headers);
  }

  /**
   * An error that ends a /graphql request before execution (`exception_handlers.py`
   * `_graphql_envelope`): HTTP `status`, catalogue extensions. An "Expired Signature" 401 is
   * TOKEN_EXPIRED, any other 401 AUTHENTICATION_REQUIRED, the rest UNDEFINED_ERROR.
   */
  graphqlError(status: number, message: string): void {
    const code: CatalogueCode =
      status !== 401
        ? "UNDEFINED_ERROR"
        : message.includes("Expired Signature")
          ? "TOKEN_EXPIRED"
          : "AUTHENTICATION_REQUIRED";
    this.json(status, {
      data: null,
      errors: [{ message, extensions: catalogueExtensions(code, status) }],
    });
  }

  /**
   * Starlette's answer to an unhandled exception: a bare text/plain 500. uvicorn then closes the
   * connection without saying so (a request written on it meanwhile is reset); the simulator says
   * `Connection: close`, so that clients never race it (see README, intended differences).
   */
  serverError(): void {
    this.send(500, "Internal Server Error", {
      "Content-Type": "text/plain; charset=utf-8",
      Connection: "close",
    });
  }

  /** GraphQL transport errors: `{"errors": ["..."]}`, plain strings. */
  stringErrors(status: number, messages: string[]): void {
    this.json(status, { errors: messages });
  }

  /** Records the exchange without answering (socket reset, hang). */
  finish(status: number): void {
    if (this.finished) return;
    this.finished = true;
    this.onFinish(this, status);
  }

  elapsed(): string {
    return String(Number(process.hrtime.bigint() - this.started) / 1e9);
  }
}
