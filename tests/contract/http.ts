import http from "node:http";
import type { ContractRequest } from "./types";

/** An answer as received: status, raw headers and body bytes. */
export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Sends exactly the given request with node:http (fetch would add Accept, User-Agent and
 * Accept-Encoding headers of its own) on a fresh connection, and reads the whole answer.
 */
export function send(
  baseUrl: string,
  req: ContractRequest,
  timeoutMs = 60_000,
): Promise<RawResponse> {
  const url = new URL(req.path, baseUrl);
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  let payload: Buffer | undefined;
  if (typeof req.body === "string") payload = Buffer.from(req.body, "utf8");
  else if (req.body !== undefined) {
    payload = Buffer.from(JSON.stringify(req.body), "utf8");
    if (!Object.keys(headers).some(h => h.toLowerCase() === "content-type"))
      headers["Content-Type"] = "application/json";
  }
  if (payload !== undefined) headers["Content-Length"] = String(payload.length);
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: req.method, headers, agent: false, timeout: timeoutMs },
      res => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
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
    request.on("timeout", () =>
      request.destroy(new Error(`${req.method} ${req.path}: no answer in ${timeoutMs} ms`)),
    );
    request.on("error", reject);
    request.end(payload);
  });
}

/** The body as JSON, or undefined when it is not JSON. */
export function jsonOf(res: RawResponse): unknown {
  try {
    return JSON.parse(res.body.toString("utf8"));
  } catch {
    return undefined;
  }
}
