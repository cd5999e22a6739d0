import { Counter, Histogram, type Registry } from "prom-client";

/** client-go's rest_client_request_duration_seconds buckets. */
const LATENCY_BUCKETS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];

/** One attempt of one request to an API server (a retry is another attempt, as in client-go). */
export interface RestRequest {
  method: string;
  /** HTTP status; 0 when no answer came back. */
  status: number;
  durationMs: number;
  /** host:port of the API server. */
  host: string;
}

/**
 * client-go's REST client metrics as controller-runtime registers them (pkg/metrics/
 * client_go_adapter.go): requests by code, method and host, latency by verb (the HTTP method) and
 * host. `code` is "<error>" when no answer came back, as client-go writes it. Watches are not
 * counted (they are long-lived streams, not requests that finish).
 */
export class RestClientMetrics {
  readonly requests: Counter<"code" | "method" | "host">;
  readonly duration: Histogram<"verb" | "host">;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: "rest_client_requests_total",
      help: "Number of HTTP requests, partitioned by status code, method, and host.",
      labelNames: ["code", "method", "host"],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: "rest_client_request_duration_seconds",
      help: "Request latency in seconds. Broken down by verb and host.",
      labelNames: ["verb", "host"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
  }

  observe(r: RestRequest): void {
    const code = r.status > 0 ? String(r.status) : "<error>";
    this.requests.inc({ code, method: r.method, host: r.host });
    this.duration.observe({ verb: r.method, host: r.host }, r.durationMs / 1000);
  }
}

/** The `host` label of an API server URL (host:port, as client-go's url.Host). */
export function hostOf(server: string): string {
  try {
    return new URL(server).host;
  } catch {
    return "";
  }
}
