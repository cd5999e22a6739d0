import type { ObjectHealth } from "../apply/health";
import type { HealthStatus } from "../apply/kstatus";
import { healthGate, MAX_RECHECK_MS, MIN_RECHECK_MS, type HealthGateInput } from "./health-gate";
import type { HealthStatusField } from "./resources";

const T0 = new Date("2025-06-01T12:00:00.000Z");
const at = (s: number) => new Date(T0.getTime() + s * 1000);

function obj(name: string, status: HealthStatus, message = "ok"): ObjectHealth {
  return {
    ref: {
      apiVersion: "apps/v1",
      group: "apps",
      version: "v1",
      kind: "Deployment",
      namespace: "web",
      name,
    },
    subject: `Deployment/web/${name}`,
    status,
    message,
  };
}

const input = (over: Partial<HealthGateInput>): HealthGateInput => ({
  objects: [],
  previous: undefined,
  changed: true,
  timeoutMs: 60_000,
  now: T0,
  applied: "2 object(s) applied to this cluster",
  ...over,
});

const healthy = [obj("a", "Current", "2/2 available"), obj("b", "Current")];
const stuck = [obj("a", "Current"), obj("b", "InProgress", "0/2 available: ImagePullBackOff")];

test("all Current: Ready, Healthy", () => {
  const r = healthGate(input({ objects: healthy }));
  expect(r.outcome).toEqual({
    kind: "ready",
    reason: "Healthy",
    message: "2 object(s) applied to this cluster; all 2 healthy",
  });
  expect(r.health).toEqual({
    status: "Healthy",
    since: T0.toISOString(),
    unhealthyCount: 0,
    unhealthy: [],
  });
  expect(r.state).toBe("Succeeded");
  expect(r.recheckAfterMs).toBeUndefined();
});

test("staying healthy keeps the same status (no write at steady state)", () => {
  const first = healthGate(input({ objects: healthy }));
  const again = healthGate(
    input({ objects: healthy, previous: first.health, changed: false, now: at(600) }),
  );
  expect(again.health).toEqual(first.health);
});

test("rolling out: Reconciling with the objects and why, re-checked soon, never past the deadline", () => {
  const r = healthGate(input({ objects: stuck }));
  expect(r.outcome).toEqual({
    kind: "progressing",
    reason: "Progressing",
    message:
      "waiting for 1 of 2 object(s) to become healthy: Deployment/web/b: 0/2 available: ImagePullBackOff",
  });
  expect(r.state).toBe("Running");
  expect(r.health).toEqual({
    status: "Progressing",
    since: T0.toISOString(),
    unhealthyCount: 1,
    unhealthy: [
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        namespace: "web",
        name: "b",
        status: "InProgress",
        message: "0/2 available: ImagePullBackOff",
      },
    ],
  });
  expect(r.recheckAfterMs).toBe(MIN_RECHECK_MS);

  const later = healthGate(
    input({ objects: stuck, previous: r.health, changed: false, now: at(55) }),
  );
  expect(later.health.since).toBe(T0.toISOString());
  expect(later.recheckAfterMs).toBe(5000); // 5 s left before the 60 s deadline
  const mid = healthGate(
    input({ objects: stuck, previous: r.health, changed: false, now: at(20) }),
  );
  expect(mid.recheckAfterMs).toBeGreaterThan(MIN_RECHECK_MS);
  expect(mid.recheckAfterMs).toBeLessThanOrEqual(MAX_RECHECK_MS);
});

test("past the timeout: Ready=False, Stalled, naming the objects", () => {
  const start = healthGate(input({ objects: stuck }));
  const r = healthGate(
    input({ objects: stuck, previous: start.health, changed: false, now: at(60) }),
  );
  expect(r.outcome).toEqual({
    kind: "failed",
    reason: "HealthCheckFailed",
    stalled: true,
    message:
      "1 of 2 object(s) not healthy after 1m0s: Deployment/web/b: 0/2 available: ImagePullBackOff",
  });
  expect(r.health.status).toBe("Unhealthy");
  expect(r.state).toBe("Failed");
  expect(r.recheckAfterMs).toBeUndefined();
});

test("an expired wait is not restarted by a re-apply that changes nothing, but is by a change", () => {
  const start = healthGate(input({ objects: stuck }));
  const failed = healthGate(
    input({ objects: stuck, previous: start.health, changed: false, now: at(61) }),
  );
  const reapplied = healthGate(
    input({ objects: stuck, previous: failed.health, changed: false, now: at(700) }),
  );
  expect(reapplied.outcome.kind).toBe("failed");
  expect(reapplied.health.since).toBe(T0.toISOString());
  const changed = healthGate(
    input({ objects: stuck, previous: failed.health, changed: true, now: at(700) }),
  );
  expect(changed.outcome.kind).toBe("progressing");
  expect(changed.health.since).toBe(at(700).toISOString());
  // ...and recovering on its own is seen at the next look.
  const recovered = healthGate(
    input({ objects: healthy, previous: failed.health, changed: false, now: at(700) }),
  );
  expect(recovered.outcome.kind).toBe("ready");
});

test("a healthy object that stops being so starts a new wait instead of failing at once", () => {
  const ok = healthGate(input({ objects: healthy }));
  const r = healthGate(
    input({ objects: stuck, previous: ok.health, changed: false, now: at(3600) }),
  );
  expect(r.outcome.kind).toBe("progressing");
  expect(r.health.since).toBe(at(3600).toISOString());
});

test("an object that Failed (a Job) fails the wait at once", () => {
  const r = healthGate(
    input({
      objects: [
        obj("a", "InProgress", "0/1 available"),
        obj("migrate", "Failed", "failed: BackoffLimitExceeded: Error (exit code 1)"),
      ],
    }),
  );
  expect(r.outcome).toEqual({
    kind: "failed",
    reason: "HealthCheckFailed",
    stalled: true,
    message:
      "1 of 2 object(s) failed: Deployment/web/migrate: failed: BackoffLimitExceeded: Error (exit code 1)",
  });
  expect(r.health.unhealthyCount).toBe(2);
});

test("long lists are cut: three named in the message, twenty in status", () => {
  const many = Array.from({ length: 25 }, (_, i) => obj(`d${i}`, "InProgress", "0/1 available"));
  const r = healthGate(input({ objects: many }));
  expect(r.outcome.message).toMatch(/Deployment\/web\/d2: 0\/1 available; and 22 more$/);
  expect(r.health.unhealthy).toHaveLength(20);
  expect(r.health.unhealthyCount).toBe(25);
});

test("a previous status with a broken since starts the clock now", () => {
  const previous: HealthStatusField = {
    status: "Progressing",
    since: "garbage",
    unhealthyCount: 1,
    unhealthy: [],
  };
  const r = healthGate(input({ objects: stuck, previous, changed: false, now: at(10) }));
  expect(r.outcome.kind).toBe("progressing");
  expect(r.health.since).toBe(at(10).toISOString());
});
