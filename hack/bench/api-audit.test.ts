import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { operatorRequests } from "./api-audit";

const at = (s: number) => new Date(Date.UTC(2026, 11, 5, 0, 0, s)).toISOString();

function event(
  s: number,
  verb: string,
  userAgent: string | undefined,
  resource?: string,
  uri = `/api/v1/${resource ?? ""}`,
) {
  return JSON.stringify({
    auditID: `${s}-${verb}-${resource}`,
    stage: "ResponseComplete",
    verb,
    userAgent,
    requestURI: uri,
    objectRef: resource ? { resource } : undefined,
    requestReceivedTimestamp: at(s),
  });
}

test("counts the operator's reads and writes in the window, Lease traffic apart, others left out", () => {
  const file = join(mkdtempSync(join(tmpdir(), "audit-")), "audit.log");
  const op = "vidra-pepr/op-a_0a1b2c3d";
  writeFileSync(
    file,
    [
      event(1, "get", op, "infrahubsyncs"), // before the window
      event(10, "get", op, "infrahubsyncs"),
      event(11, "list", op, "vidraresources"),
      event(12, "patch", op, "infrahubsyncs"),
      event(12, "get", op, "leases"),
      event(12, "update", op, "leases"),
      event(13, "list", "kube-controller-manager/v1.36.3 (linux/amd64)", "namespaces"),
      event(13, "get", "kubectl/v1.32.4 (linux/amd64)", "infrahubsyncs"),
      event(14, "get", undefined, undefined, "/readyz"), // the harness's probe
      event(14, "get", op, undefined, "/readyz"), // the operator's outage probe
      event(15, "create", undefined, "events"), // a client without a User-Agent still counts
      event(30, "get", op, "secrets"), // after the window
      "",
    ].join("\n"),
  );
  const from = Date.parse(at(10));
  const to = Date.parse(at(30));
  const counts = operatorRequests(file, from, to);
  expect(counts.reads).toBe(2);
  expect(counts.writes).toBe(2);
  expect(counts.leaseRequests).toBe(2);
  expect(counts.healthProbes).toBe(1);
  expect(counts.breakdown).toEqual({
    "get infrahubsyncs vidra-pepr": 1,
    "list vidraresources vidra-pepr": 1,
    "patch infrahubsyncs vidra-pepr": 1,
    "get leases vidra-pepr": 1,
    "update leases vidra-pepr": 1,
    "get /readyz vidra-pepr": 1,
    "create events none": 1,
  });
});
