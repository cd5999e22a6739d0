import { Registry } from "prom-client";
import { hostOf, RestClientMetrics } from "./rest-client-metrics";

test("requests by code, method and host; latency by verb and host; no answer is <error>", async () => {
  const registry = new Registry();
  const m = new RestClientMetrics(registry);
  m.observe({ method: "PATCH", status: 200, durationMs: 30, host: "10.0.0.1:6443" });
  m.observe({ method: "PATCH", status: 200, durationMs: 20, host: "10.0.0.1:6443" });
  m.observe({ method: "GET", status: 503, durationMs: 5, host: "10.0.0.1:6443" });
  m.observe({ method: "GET", status: 0, durationMs: 30_000, host: "remote:443" });
  const text = await registry.metrics();
  expect(text).toContain(
    'rest_client_requests_total{code="200",method="PATCH",host="10.0.0.1:6443"} 2',
  );
  expect(text).toContain(
    'rest_client_requests_total{code="503",method="GET",host="10.0.0.1:6443"} 1',
  );
  expect(text).toContain(
    'rest_client_requests_total{code="<error>",method="GET",host="remote:443"} 1',
  );
  expect(text).toContain(
    'rest_client_request_duration_seconds_count{verb="PATCH",host="10.0.0.1:6443"} 2',
  );
  expect(text).toContain(
    'rest_client_request_duration_seconds_bucket{le="0.025",verb="PATCH",host="10.0.0.1:6443"} 1',
  );
  expect(text).toContain(
    'rest_client_request_duration_seconds_bucket{le="30",verb="GET",host="remote:443"} 1',
  );
});

test("hostOf: host and port of a server URL, as client-go's url.Host", () => {
  expect(hostOf("https://127.0.0.1:6443")).toBe("127.0.0.1:6443");
  expect(hostOf("https://kubernetes.default.svc")).toBe("kubernetes.default.svc");
  expect(hostOf("not a url")).toBe("");
});
