import { request } from "node:https";

export interface ClientTls {
  ca: string;
  cert?: string;
  key?: string;
}

/** One HTTPS GET with client TLS; resolves with the status code and body, never throws on HTTP errors. */
export function httpsGet(
  url: string,
  tls: ClientTls,
  timeoutMs = 5000,
): Promise<{ status: number; body: string }> {
  return httpsRequest("GET", url, tls, undefined, timeoutMs);
}

/** One HTTPS request with client TLS and an optional JSON body; never throws on HTTP errors. */
export function httpsRequest(
  method: string,
  url: string,
  tls: ClientTls,
  json?: unknown,
  timeoutMs = 5000,
  contentType = method === "PATCH" ? "application/merge-patch+json" : "application/json",
): Promise<{ status: number; body: string }> {
  const payload = json === undefined ? undefined : JSON.stringify(json);
  return new Promise((resolvePromise, reject) => {
    const req = request(
      url,
      // A fresh connection per probe: probes are seconds or minutes apart, and a pooled socket
      // the server has meanwhile closed fails with EPIPE instead of reconnecting.
      {
        method,
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        timeout: timeoutMs,
        agent: false,
        headers: payload ? { "content-type": contentType } : undefined,
      },
      res => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolvePromise({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timeout after ${timeoutMs}ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/** Polls `check` until it returns true or the deadline passes; `onTimeout` builds the error. */
export async function waitFor(
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; describe: () => Promise<string> | string },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(await opts.describe());
    await new Promise(r => setTimeout(r, opts.intervalMs ?? 250));
  }
}
