import { createServer, type IncomingMessage, type ServerResponse, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { SecretObject } from "../sync/secrets";

interface OpenWatch {
  res: ServerResponse;
  matches: (s: SecretObject) => boolean;
}

/**
 * For unit tests of what reads Secrets through watches (SecretCache and its users): a small API
 * server for Secrets, LIST and WATCH with a field selector on the name or a label selector, in one
 * namespace or all. Watches stay open and get every later change that matches; a watch from
 * resourceVersion N gets what happened after N (as etcd does). Namespace "locked" answers 403.
 */
export class FakeSecretApi {
  /** Every request's URL, in order. */
  readonly requests: string[] = [];
  readonly watches = new Set<OpenWatch>();
  private readonly secrets = new Map<string, SecretObject>();
  private readonly history: Array<{ type: string; object: SecretObject }> = [];
  private rv = 100;
  private server: Server | undefined;
  base = "";

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.answer(req, res));
    await new Promise<void>(r => this.server!.listen(0, "127.0.0.1", r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise(r => this.server?.close(r));
  }

  /** Creates or replaces a Secret (a new resourceVersion); `data` values are given in clear. */
  put(ns: string, name: string, data: Record<string, string>, labels?: Record<string, string>) {
    const s: SecretObject = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name,
        namespace: ns,
        uid: `uid-${ns}-${name}`,
        resourceVersion: String(++this.rv),
        labels,
      },
      data: Object.fromEntries(
        Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")]),
      ),
    };
    this.change(this.secrets.has(`${ns}/${name}`) ? "MODIFIED" : "ADDED", s);
  }

  remove(ns: string, name: string): void {
    const s = this.secrets.get(`${ns}/${name}`);
    if (!s) return;
    this.change("DELETED", {
      ...s,
      metadata: { ...s.metadata, resourceVersion: String(++this.rv) },
    });
  }

  /** LISTs (reads), as opposed to watches. */
  get lists(): string[] {
    return this.requests.filter(r => !r.includes("watch=1"));
  }

  private change(type: string, s: SecretObject): void {
    const key = `${s.metadata?.namespace}/${s.metadata?.name}`;
    if (type === "DELETED") this.secrets.delete(key);
    else this.secrets.set(key, s);
    this.history.push({ type, object: s });
    for (const w of this.watches)
      if (w.matches(s)) w.res.write(`${JSON.stringify({ type, object: s })}\n`);
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push(req.url ?? "");
    const url = new URL(req.url ?? "", "http://x");
    if (url.pathname.includes("/namespaces/locked/")) {
      res.writeHead(403, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", reason: "Forbidden", code: 403, message: "no" }));
      return;
    }
    const matches = matcher(url);
    res.writeHead(200, { "Content-Type": "application/json" });
    if (url.searchParams.get("watch") !== "1") {
      res.end(
        JSON.stringify({
          metadata: { resourceVersion: String(this.rv) },
          items: [...this.secrets.values()].filter(matches),
        }),
      );
      return;
    }
    const from = Number(url.searchParams.get("resourceVersion") ?? this.rv);
    for (const e of this.history)
      if (Number(e.object.metadata?.resourceVersion) > from && matches(e.object))
        res.write(`${JSON.stringify(e)}\n`);
    const w = { res, matches };
    this.watches.add(w);
    res.on("close", () => this.watches.delete(w));
  }
}

function matcher(url: URL): (s: SecretObject) => boolean {
  const ns = /\/namespaces\/([^/]+)\//.exec(url.pathname)?.[1];
  const field = url.searchParams.get("fieldSelector");
  const label = url.searchParams.get("labelSelector");
  return s =>
    (!ns || s.metadata?.namespace === ns) &&
    (!field || field === `metadata.name=${s.metadata?.name}`) &&
    (!label || s.metadata?.labels?.[label.split("=")[0]] === label.split("=")[1]);
}

/** Polls `cond` every 10 ms for up to 5 s. */
export async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise(r => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}
