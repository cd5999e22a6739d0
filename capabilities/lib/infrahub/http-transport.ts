import http from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import { X509Certificate } from "node:crypto";
import { createHttpAgent, proxyFromEnv, type Env } from "../net/proxy";
import { InfrahubConfigError } from "./errors";
import type { InfrahubTlsConfig } from "./types";

/**
 * One HTTP exchange over node:http/https, with the things global fetch cannot do here: a custom CA
 * or skipped verification per Infrahub, a hard deadline covering connect + headers + body, and a
 * size limit enforced while the body streams in (the socket is destroyed as soon as it is passed).
 */

export interface TransportRequest {
  url: URL;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxBytes: number;
  agent: http.Agent;
}

export interface TransportResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type TransportFailureKind = "network" | "timeout" | "truncated" | "too-large" | "tls";

/** Why no complete response was obtained. Internal: mapped to an InfrahubError by the caller. */
export class TransportFailure extends Error {
  readonly kind: TransportFailureKind;
  readonly code: string | undefined;
  /** Bytes seen (or declared by Content-Length) when the size limit was passed. */
  readonly seenBytes: number;

  constructor(
    kind: TransportFailureKind,
    detail: string,
    opts: { code?: string; seenBytes?: number; cause?: unknown } = {},
  ) {
    super(detail, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "TransportFailure";
    this.kind = kind;
    this.code = opts.code;
    this.seenBytes = opts.seenBytes ?? 0;
  }
}

const TLS_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
  "CERT_REJECTED",
  "INVALID_CA",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "EPROTO",
]);

/** True when `pem` holds one or more parseable certificates (Node ignores junk silently). */
function isCertificateBundle(pem: string): boolean {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return false;
  try {
    for (const block of blocks) new X509Certificate(block);
    return true;
  } catch {
    return false;
  }
}

/**
 * A keep-alive agent for one Infrahub address and TLS configuration, through the proxy that
 * HTTPS_PROXY/HTTP_PROXY name for it unless NO_PROXY exempts it (../net/proxy.ts).
 * @throws InfrahubConfigError when the CA bundle is not valid PEM
 */
export function createAgent(
  address: string,
  tlsConfig: InfrahubTlsConfig = {},
  env: Env = process.env,
): http.Agent {
  const target = new URL(address);
  if (
    tlsConfig.caPem !== undefined &&
    target.protocol === "https:" &&
    !isCertificateBundle(tlsConfig.caPem)
  ) {
    throw new InfrahubConfigError(
      `The CA bundle configured for Infrahub ${address} is not valid PEM; provide the CA certificate(s) ` +
        "as -----BEGIN CERTIFICATE----- blocks.",
    );
  }
  return createHttpAgent({
    target,
    proxy: proxyFromEnv(target, env),
    maxSockets: 32,
    // A custom bundle replaces the system roots, like a kubeconfig's certificate-authority.
    tls: {
      ...(tlsConfig.caPem !== undefined ? { ca: tlsConfig.caPem } : {}),
      rejectUnauthorized: tlsConfig.insecureSkipTlsVerify !== true,
    },
  });
}

function classify(err: NodeJS.ErrnoException): TransportFailure {
  const code = err.code;
  if (code !== undefined && TLS_CODES.has(code)) {
    return new TransportFailure("tls", `TLS handshake failed (${code})`, { code, cause: err });
  }
  return new TransportFailure("network", `${err.message}${code ? ` (${code})` : ""}`, {
    code,
    cause: err,
  });
}

/** Sends one request and reads the whole body, or rejects with a TransportFailure. */
export function sendRequest(req: TransportRequest): Promise<TransportResponse> {
  return new Promise((resolve, reject) => {
    const mod = req.url.protocol === "https:" ? https : http;
    const headers: Record<string, string> = {
      accept: "application/json, text/plain, */*",
      ...req.headers,
    };
    if (req.body !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(Buffer.byteLength(req.body));
    }
    let settled = false;
    const finish = (outcome: TransportFailure | TransportResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (outcome instanceof TransportFailure) {
        // Destroying (not just aborting) keeps a half-read socket out of the keep-alive pool.
        outgoing.destroy();
        reject(outcome);
      } else {
        resolve(outcome);
      }
    };
    // res.socket is detached once the body has ended; the request keeps hold of its socket here.
    let socket: Socket | undefined;
    const outgoing = mod.request(req.url, { method: req.method, headers, agent: req.agent }, res =>
      readBody(res, req.maxBytes, finish, () => socket),
    );
    outgoing.on("socket", s => (socket = s));
    const timer = setTimeout(
      () =>
        finish(new TransportFailure("timeout", `no complete answer within ${req.timeoutMs} ms`)),
      req.timeoutMs,
    );
    outgoing.on("error", err => finish(classify(err)));
    outgoing.end(req.body);
  });
}

/** Collects a response body, giving up as soon as it passes `maxBytes` or ends early. */
function readBody(
  res: http.IncomingMessage,
  maxBytes: number,
  finish: (outcome: TransportFailure | TransportResponse) => void,
  connection: () => Socket | undefined,
): void {
  const declared = Number(res.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    finish(
      new TransportFailure("too-large", `Content-Length ${declared} exceeds the limit`, {
        seenBytes: declared,
      }),
    );
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  res.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBytes) {
      res.destroy();
      finish(new TransportFailure("too-large", "body exceeds the limit", { seenBytes: size }));
      return;
    }
    chunks.push(chunk);
  });
  res.on("end", () => {
    if (!res.complete) {
      finish(new TransportFailure("truncated", `body ended early after ${size} bytes`));
      return;
    }
    const response = {
      status: res.statusCode ?? 0,
      headers: res.headers,
      body: Buffer.concat(chunks),
    };
    // A server that failed (uvicorn, under Infrahub, after an unhandled exception) closes the
    // connection right after its 500 without saying so; a request written on it in that instant
    // is reset. After a 5xx the connection is closed here, and the answer handed over once the
    // agent has dropped it from its pool (on "close"), so the next request opens a new one.
    const socket = connection();
    if (response.status >= 500 && socket && !socket.destroyed) {
      socket.once("close", () => finish(response));
      socket.destroy();
      return;
    }
    finish(response);
  });
  res.on("error", err =>
    finish(
      new TransportFailure("truncated", `body ended early after ${size} bytes (${err.message})`, {
        cause: err,
      }),
    ),
  );
  res.on("close", () => {
    if (!res.complete)
      finish(
        new TransportFailure("truncated", `connection closed after ${size} bytes of the body`),
      );
  });
}
