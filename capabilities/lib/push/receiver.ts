import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { errorMessage } from "../errors";
import { nullLogger, type Logger } from "../logger";
import { MalformedWebhookError, parseWebhookBody, type ArtifactEvent } from "./artifact-event";
import { ReplayCache } from "./replay-cache";
import { verifySignature, WebhookSignatureError } from "./signature";
import type { WebhookSource } from "./webhook-keys";

/** Infrahub posts to `<base>/webhooks/infrahub/<name of the key Secret>`. */
export const WEBHOOK_PATH_PREFIX = "/webhooks/infrahub/";

/** Every answer the receiver gives, as the metric's `outcome` label. */
export type WebhookOutcome =
  | "accepted"
  | "unmatched"
  | "ignored"
  | "unsigned"
  | "bad_signature"
  | "stale"
  | "replayed"
  | "too_large"
  | "malformed"
  | "unknown_source"
  | "not_found"
  | "method_not_allowed"
  | "standby";

export interface ReceiverConfig {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** PEM certificate and key; without them the receiver speaks plain HTTP (local setups only). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  maxBodyBytes: number;
  toleranceMs: number;
  replayCacheSize: number;
}

export interface ReceiverDeps {
  config: ReceiverConfig;
  sources: { get(name: string): WebhookSource | undefined };
  /** Queues the syncs the event may concern; returns how many. Must not wait for any sync. */
  dispatch(source: WebhookSource, event: ArtifactEvent, receivedAt: Date): number;
  onOutcome?(outcome: WebhookOutcome, source?: string): void;
  /**
   * Why this replica cannot take events (a standby: another replica holds the lease), or
   * undefined when it can. A standby answers 503 with Retry-After and queues nothing.
   */
  standby?(): string | undefined;
  logger?: Logger;
  now?: () => number;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly outcome: WebhookOutcome,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** Infrahub retries a failed delivery after 120 s; a hint for other senders and proxies. */
const STANDBY_RETRY_AFTER_SECONDS = 10;

/**
 * The HTTP(S) endpoint Infrahub's webhooks call. A request is answered as soon as it is verified
 * and its syncs are queued; the fetch and apply happen later in the work queue. Checks, in order:
 * route (404/405), standby (503), size (413), the key's Secret (404), signature (401), timestamp (401), replay
 * (401), body (400). Nothing a request carries is logged except ids and reasons.
 */
export class WebhookReceiver {
  private readonly server;
  private readonly sockets = new Set<Socket>();
  private readonly replays: ReplayCache;
  private readonly log: Logger;
  private address = "";

  constructor(private readonly deps: ReceiverDeps) {
    const { config } = deps;
    this.log = deps.logger ?? nullLogger;
    this.replays = new ReplayCache(config.toleranceMs * 2, config.replayCacheSize);
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = config.tls
      ? createHttpsServer({ cert: config.tls.cert, key: config.tls.key }, handler)
      : createHttpServer(handler);
    // A client that trickles its request holds a socket, not the event loop: cut it off.
    this.server.requestTimeout = 15_000;
    this.server.headersTimeout = 10_000;
    this.server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
  }

  /** `https://127.0.0.1:8443` (or http://); the webhook URL is this + /webhooks/infrahub/<name>. */
  get url(): string {
    return this.address;
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<string> {
    const { host, port, tls } = this.deps.config;
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
    this.address = `${tls ? "https" : "http"}://${shown.includes(":") ? `[${shown}]` : shown}:${this.port}`;
    return this.address;
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>(resolve => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = new Date(this.now());
    let source: string | undefined;
    try {
      const path = (req.url ?? "/").split("?")[0];
      if (!path.startsWith(WEBHOOK_PATH_PREFIX) || path.length === WEBHOOK_PATH_PREFIX.length)
        throw new Refusal(
          404,
          "not_found",
          `no webhook endpoint at ${path.slice(0, 100)}; post to ${WEBHOOK_PATH_PREFIX}<name>`,
        );
      source = safeDecode(path.slice(WEBHOOK_PATH_PREFIX.length)).slice(0, 253);
      if (req.method !== "POST")
        throw new Refusal(405, "method_not_allowed", "only POST is accepted");
      // Before the body is read or checked: a standby could not act on it anyway.
      const standby = this.deps.standby?.();
      if (standby !== undefined)
        throw new Refusal(503, "standby", standby, STANDBY_RETRY_AFTER_SECONDS);
      const body = await this.readBody(req);
      const found = this.deps.sources.get(source);
      if (!found)
        throw new Refusal(
          404,
          "unknown_source",
          `no webhook key Secret named ${JSON.stringify(source)}`,
        );
      const header = (name: string) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const verified = verifySignature({
        headers: {
          id: header("webhook-id"),
          timestamp: header("webhook-timestamp"),
          signature: header("webhook-signature"),
        },
        body,
        keys: found.keys,
        nowMs: receivedAt.getTime(),
        toleranceMs: this.deps.config.toleranceMs,
      });
      if (!this.replays.remember(`${found.name}\u0000${verified.id}`, receivedAt.getTime()))
        throw new Refusal(401, "replayed", `webhook-id ${verified.id} was already received`);
      const parsed = parseWebhookBody(body);
      if (parsed.kind === "other") {
        this.reply(res, 200, "ignored", source, {
          status: "ignored",
          event: parsed.id,
          reason: `${parsed.type} is not an artifact event`,
        });
        return;
      }
      const syncs = this.deps.dispatch(found, parsed.event, receivedAt);
      this.log.info(
        {
          source,
          event: parsed.event.id,
          type: parsed.event.type,
          branch: parsed.event.branch,
          artifact: parsed.event.artifactId,
          syncs,
        },
        syncs ? "webhook accepted; syncs queued" : "webhook accepted; no sync holds that artifact",
      );
      this.reply(res, 202, syncs ? "accepted" : "unmatched", source, {
        status: "accepted",
        event: parsed.event.id,
        syncs,
      });
    } catch (err) {
      const refusal =
        err instanceof Refusal
          ? err
          : err instanceof WebhookSignatureError
            ? new Refusal(401, err.reason, err.message)
            : err instanceof MalformedWebhookError
              ? new Refusal(400, "malformed", err.message)
              : undefined;
      if (!refusal) {
        this.log.error({ source, err: errorMessage(err) }, "webhook handling failed");
        if (!res.headersSent) res.writeHead(500).end();
        return;
      }
      this.log.info(
        {
          source,
          outcome: refusal.outcome,
          status: refusal.status,
          remote: req.socket.remoteAddress,
          reason: refusal.message,
        },
        "webhook refused",
      );
      this.reply(
        res,
        refusal.status,
        refusal.outcome,
        source,
        { error: refusal.message },
        refusal.retryAfterSeconds,
      );
      // An oversized upload is not read to its end: the connection is closed instead. Other
      // unread bodies are discarded, so the connection can be reused.
      if (refusal.status === 413) res.once("finish", () => req.destroy());
      else if (!req.complete) req.resume();
    }
  }

  private reply(
    res: ServerResponse,
    status: number,
    outcome: WebhookOutcome,
    source: string | undefined,
    body: object,
    retryAfterSeconds?: number,
  ): void {
    this.deps.onOutcome?.(outcome, source);
    const text = JSON.stringify(body);
    res.writeHead(status, {
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(text),
      ...(status === 413 ? { Connection: "close" } : {}),
      ...(retryAfterSeconds !== undefined ? { "Retry-After": String(retryAfterSeconds) } : {}),
    });
    res.end(text);
  }

  private readBody(req: IncomingMessage): Promise<Buffer> {
    const max = this.deps.config.maxBodyBytes;
    const tooLarge = () => new Refusal(413, "too_large", `the body is larger than ${max} bytes`);
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > max) return Promise.reject(tooLarge());
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > max) {
          req.off("data", onData);
          req.pause();
          reject(tooLarge());
          return;
        }
        chunks.push(chunk);
      };
      req.on("data", onData);
      req.once("end", () => resolve(Buffer.concat(chunks)));
      req.once("error", reject);
    });
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
