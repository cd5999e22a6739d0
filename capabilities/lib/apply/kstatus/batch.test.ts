import { computeStatus } from "./index";

const job = (status: Record<string, unknown>, spec: Record<string, unknown> = {}) => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name: "migrate", generation: 1 },
  spec,
  status,
});

test("not started, then running: InProgress", () => {
  expect(computeStatus(job({}))).toMatchObject({ status: "InProgress", reason: "JobNotStarted" });
  expect(computeStatus(job({ startTime: "2025-01-01T00:00:00Z", active: 1 }))).toEqual({
    status: "InProgress",
    reason: "JobRunning",
    message: "running: 0/1 succeeded, 1 active, 0 failed",
  });
});

test("Complete: Current", () => {
  const r = computeStatus(
    job(
      { succeeded: 3, conditions: [{ type: "Complete", status: "True" }] },
      { completions: 3, parallelism: 1 },
    ),
  );
  expect(r).toMatchObject({ status: "Current", message: "complete: 3/3 succeeded" });
});

test("Failed: Failed, with the controller's reason", () => {
  const r = computeStatus(
    job({
      failed: 1,
      conditions: [
        {
          type: "Failed",
          status: "True",
          reason: "BackoffLimitExceeded",
          message: "Job has reached the specified backoff limit",
        },
      ],
    }),
  );
  expect(r).toEqual({
    status: "Failed",
    reason: "JobFailed",
    message: "failed: BackoffLimitExceeded: Job has reached the specified backoff limit",
  });
});

test("about to fail (FailureTarget) is still InProgress; suspended is Current", () => {
  expect(
    computeStatus(
      job({
        startTime: "x",
        conditions: [{ type: "FailureTarget", status: "True", reason: "BackoffLimitExceeded" }],
      }),
    ),
  ).toMatchObject({ status: "InProgress", reason: "JobFailing" });
  expect(computeStatus(job({ conditions: [{ type: "Suspended", status: "True" }] })).status).toBe(
    "Current",
  );
});
