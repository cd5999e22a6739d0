import type { IncomingHttpHeaders } from "node:http";
import type { Facts } from "./facts";
import type { RawResponse } from "./http";
import type { ContractObservation, ContractRequest } from "./types";

/**
 * Turns an answer into something two servers with different ids, secrets, clocks and seeded
 * contents can agree on. The rules (also in hack/infrahub-sim/README.md, "The contract"):
 * - ids, storage ids and checksums of the seeded objects become symbols such as
 *   `<artifact:web-01>`, `<storage:web-02@feature-scale>`, `<checksum:web-01@main>`;
 * - a body that is exactly an artifact's content becomes `<content:web-01@main>`, and a
 *   Content-Length equal to the body's length `<length of the body>`: what the transform renders
 *   is the seed's business, not the server's;
 * - JWTs become `<jwt:access>` / `<jwt:refresh>` (their `type` claim) or `<jwt>`;
 * - the API token becomes `<api-token>`;
 * - any other UUID-shaped id becomes `<uuid>`;
 * - RFC 3339 times keep their shape with every digit replaced by 9 (`<time:9999-99-99T...Z>`), so
 *   a different format still shows while different instants do not; times on the fixed dates the
 *   cases send (2020-01-01, 2999-01-01) are kept as they are;
 * - HTTP dates (cookie `expires`) become `<http-date>`;
 * - JSON objects have their keys sorted (order of keys carries no meaning in JSON);
 * - `edges` lists are sorted: Infrahub orders artifacts by name, then by their random ids, so two
 *   servers list the same artifacts in different orders. Cases about pages (`byRank`) keep the
 *   order and name each artifact and target label by its rank in the server's order instead
 *   (`<artifact#2>`, `<label#2>`), which is the same on every server.
 */
export class Normaliser {
  private readonly symbols: Array<[string, string]> = [];
  private readonly contents: Array<[string, string]> = [];
  /** Per-rank names of artifact ids, target ids and target labels (main's order). */
  private readonly ranks = new Map<string, string>();

  constructor(facts: Facts, secrets: { apiToken: string }) {
    const add = (value: string | null, symbol: string) => {
      if (value && !this.symbols.some(([v]) => v === value)) this.symbols.push([value, symbol]);
    };
    add(facts.definitionId, "<definition>");
    // main first, so a value shared by both branches is named after main.
    for (const branch of ["main", facts.names.branch]) {
      for (const [label, a] of Object.entries(facts.artifacts[branch] ?? {})) {
        add(a.id, `<artifact:${label}>`);
        add(a.targetId, `<target:${label}>`);
        add(a.storageId, `<storage:${label}@${branch}>`);
        add(a.checksum, `<checksum:${label}@${branch}>`);
        if (!this.contents.some(([c]) => c === a.content))
          this.contents.push([a.content, `<content:${label}@${branch}>`]);
      }
    }
    add(secrets.apiToken, "<api-token>");
    // Longest first, so no symbol's value is replaced inside a longer one.
    this.symbols.sort((a, b) => b[0].length - a[0].length);
    facts.world.branches.main.forEach(({ target }, i) => {
      const a = facts.artifacts.main[target];
      this.ranks.set(a.id, `<artifact#${i + 1}>`);
      this.ranks.set(a.targetId, `<target#${i + 1}>`);
      this.ranks.set(target, `<label#${i + 1}>`);
    });
  }

  text(value: string, byRank = false): string {
    let out = value;
    if (byRank) for (const [raw, symbol] of this.ranks) out = out.split(raw).join(symbol);
    for (const [raw, symbol] of this.symbols) out = out.split(raw).join(symbol);
    return out
      .replace(JWT, token => `<jwt${jwtType(token)}>`)
      .replace(UUID, "<uuid>")
      .replace(TIME, time =>
        FIXED_DATES.some(d => time.startsWith(d)) ? time : `<time:${time.replace(/\d/g, "9")}>`,
      )
      .replace(HTTP_DATE, "<http-date>");
  }

  json(value: unknown, byRank = false, key?: string): unknown {
    if (typeof value === "string") return this.text(value, byRank);
    if (Array.isArray(value)) {
      const items = value.map(v => this.json(v, byRank));
      if (key !== "edges" || byRank) return items;
      return items
        .map(item => [JSON.stringify(item), item] as const)
        .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
        .map(([, item]) => item);
    }
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(value).sort())
        out[k] = this.json((value as Record<string, unknown>)[k], byRank, k);
      return out;
    }
    return value;
  }

  observe(
    req: ContractRequest,
    res: RawResponse,
    opts: { headers?: string[]; byRank?: boolean } = {},
  ): ContractObservation {
    const text = res.body.toString("utf8");
    let body: unknown;
    try {
      body = this.json(JSON.parse(text), opts.byRank);
    } catch {
      body = this.contents.find(([c]) => c === text)?.[1] ?? this.text(text, opts.byRank);
    }
    const obs: ContractObservation = {
      request: this.text(`${req.method} ${readablePath(req.path)}`),
      status: res.status,
      contentType: contentType(res.headers),
      body,
    };
    const headerNames = opts.headers ?? [];
    if (headerNames.length > 0) {
      obs.headers = {};
      for (const name of headerNames) {
        const v = res.headers[name.toLowerCase()];
        obs.headers[name.toLowerCase()] =
          v === undefined
            ? null
            : Array.isArray(v)
              ? v.map(x => this.text(x))
              : name.toLowerCase() === "content-length" && Number(v) === res.body.length
                ? "<length of the body>"
                : this.text(String(v));
      }
    }
    return obs;
  }
}

/** Dates the cases use as constants; times on them are the same on every server. */
const FIXED_DATES = ["2020-01-01", "2999-01-01"];
const JWT = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const TIME = /\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?/g;
const HTTP_DATE = /(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT/g;

/** The path with its query string decoded, so the times and ids in it are normalised too. */
function readablePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function jwtType(token: string): string {
  try {
    const claims = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
    return typeof claims.type === "string" ? `:${claims.type}` : "";
  } catch {
    return "";
  }
}

/** Lower-case media type, with `charset` kept (it changes how a body is read) and spaces dropped. */
function contentType(headers: IncomingHttpHeaders): string | null {
  const raw = headers["content-type"];
  if (raw === undefined) return null;
  const [type, ...params] = raw.split(";").map(p => p.trim().toLowerCase());
  const charset = params.find(p => p.startsWith("charset="));
  return charset ? `${type}; ${charset}` : type;
}
