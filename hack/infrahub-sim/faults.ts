import type { Exchange } from "./http-io";
import { SimError } from "./sim-error";
import type { SimFault } from "./types";

const KINDS = new Set([
  "latency",
  "status",
  "rateLimit",
  "reset",
  "truncate",
  "garbage",
  "expiredToken",
  "hang",
]);

/** What the fault book decided for one request. */
export interface FaultDecision {
  /** Total delay from matching latency faults, applied before anything else. */
  latencyMs: number;
  /** The first matching non-latency fault, which replaces the normal answer. */
  fault?: SimFault;
}

/**
 * Injected faults, applied to matching requests in injection order. Latency faults add up and the
 * request continues; the first matching fault of another kind answers instead of the simulator.
 * Each match uses up one of the fault's `times` (unlimited when not given).
 */
export class FaultBook {
  private entries: Array<{ fault: SimFault; remaining: number }> = [];

  inject(fault: SimFault): void {
    validateFault(fault);
    this.entries.push({ fault: { ...fault }, remaining: fault.times ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.entries = [];
  }

  /** The faults still active, with `times` showing what is left of it. */
  list(): SimFault[] {
    return this.entries.map(e =>
      Number.isFinite(e.remaining) ? { ...e.fault, times: e.remaining } : { ...e.fault },
    );
  }

  take(endpoint: string, path?: string): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0 };
    if (this.entries.length === 0) return decision;
    for (const entry of this.entries) {
      if (
        entry.remaining <= 0 ||
        (entry.fault.endpoint !== "*" && entry.fault.endpoint !== endpoint) ||
        (entry.fault.path !== undefined && entry.fault.path !== path)
      )
        continue;
      entry.remaining--;
      if (entry.fault.kind === "latency") {
        decision.latencyMs += entry.fault.ms;
        continue;
      }
      decision.fault = entry.fault;
      break;
    }
    this.entries = this.entries.filter(e => e.remaining > 0);
    return decision;
  }
}

function validateFault(fault: SimFault): void {
  if (!fault || typeof fault !== "object") throw new SimError("a fault must be an object");
  if (typeof fault.endpoint !== "string" || !fault.endpoint) {
    throw new SimError('a fault needs an endpoint label such as "POST /graphql", or "*"');
  }
  if (!KINDS.has(fault.kind))
    throw new SimError(
      `unknown fault kind ${JSON.stringify(fault.kind)}; one of ${[...KINDS].join(", ")}`,
    );
  if (fault.path !== undefined && (typeof fault.path !== "string" || !fault.path.startsWith("/")))
    throw new SimError('fault.path must be a request path such as "/graphql/main" when given');
  if (fault.times !== undefined && (!Number.isInteger(fault.times) || fault.times < 1)) {
    throw new SimError("fault.times must be a positive integer when given");
  }
  if (fault.kind === "latency" && !(typeof fault.ms === "number" && fault.ms >= 0))
    throw new SimError("a latency fault needs ms >= 0");
  if (
    fault.kind === "status" &&
    !(Number.isInteger(fault.status) && fault.status >= 100 && fault.status <= 599)
  ) {
    throw new SimError("a status fault needs an HTTP status between 100 and 599");
  }
  if (fault.kind === "status" && fault.body !== undefined && typeof fault.body !== "string") {
    throw new SimError("a status fault's body must be a string");
  }
  if (
    fault.kind === "rateLimit" &&
    !(typeof fault.retryAfterSeconds === "number" && fault.retryAfterSeconds >= 0)
  ) {
    throw new SimError("a rateLimit fault needs retryAfterSeconds >= 0");
  }
}

const GARBAGE = '<html><body>upstream hiccup</body></html>\u0000{"data": {"CoreArtifact": nope';
const TRUNCATED = '{"data": {"CoreArtifact": {"count": 3, "edges": [{"node": {"id": "';

/** Answers (or refuses to answer) a request as the fault says. `hanging` collects hung exchanges. */
export function applyFault(ex: Exchange, fault: SimFault, hanging: Set<Exchange>): void {
  switch (fault.kind) {
    case "status": {
      if (fault.body === undefined) return ex.error(fault.status, statusText(fault.status));
      return ex.send(fault.status, fault.body, {
        "Content-Type": looksLikeJson(fault.body)
          ? "application/json"
          : "text/plain; charset=utf-8",
      });
    }
    case "rateLimit":
      // api/admission/middleware.py `_build_shed_response`: the same integer-code envelope on
      // REST and GraphQL, Retry-After, and the marker saying the handler never ran.
      return ex.error(429, "Server is shedding load; retry later.", {
        "Retry-After": String(fault.retryAfterSeconds),
        "X-Infrahub-Admission": "shed",
      });
    case "expiredToken":
      if (ex.path === "/graphql" || ex.path.startsWith("/graphql/"))
        return ex.graphqlError(401, "Expired Signature");
      return ex.error(401, "Expired Signature");
    case "garbage":
      return ex.send(200, GARBAGE, { "Content-Type": "application/json" });
    case "reset":
      ex.finish(0);
      ex.req.socket.destroy();
      return;
    case "truncate": {
      ex.drain();
      const partial = Buffer.from(TRUNCATED, "utf8");
      ex.res.writeHead(200, {
        "Content-Type": "application/json",
        "Content-Length": partial.length + 1024,
        "X-Process-Time": ex.elapsed(),
      });
      ex.res.write(partial, () => ex.req.socket.end());
      ex.finish(200);
      return;
    }
    case "hang":
      ex.drain();
      ex.finish(0);
      hanging.add(ex);
      ex.res.on("close", () => hanging.delete(ex));
      return;
    case "latency":
      return;
  }
}

function statusText(status: number): string {
  const texts: Record<number, string> = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
  };
  return texts[status] ?? `Simulated HTTP ${status}`;
}

function looksLikeJson(body: string): boolean {
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}
