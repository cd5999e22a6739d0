import { computeStatus } from "./index";

const cr = (status?: Record<string, unknown>, generation = 1) => ({
  apiVersion: "example.com/v1",
  kind: "Database",
  metadata: { name: "db", generation },
  ...(status ? { status } : {}),
});

test("an object without status conventions is Current as soon as it exists", () => {
  expect(computeStatus({ apiVersion: "v1", kind: "ConfigMap", metadata: {} }).status).toBe(
    "Current",
  );
  expect(computeStatus(cr()).status).toBe("Current");
});

test("the Ready condition of any kind", () => {
  expect(computeStatus(cr({ conditions: [{ type: "Ready", status: "True" }] })).status).toBe(
    "Current",
  );
  expect(
    computeStatus(
      cr({
        conditions: [{ type: "Ready", status: "False", reason: "Provisioning", message: "disk" }],
      }),
    ),
  ).toEqual({ status: "InProgress", reason: "NotReady", message: "not ready: Provisioning: disk" });
  expect(computeStatus(cr({ conditions: [{ type: "Ready", status: "Unknown" }] })).status).toBe(
    "InProgress",
  );
});

test("Stalled and Reconciling (kstatus' own conditions) win over Ready", () => {
  expect(
    computeStatus(
      cr({
        conditions: [
          { type: "Ready", status: "False" },
          { type: "Stalled", status: "True", reason: "InvalidSpec", message: "bad size" },
        ],
      }),
    ),
  ).toEqual({ status: "Failed", reason: "Stalled", message: "InvalidSpec: bad size" });
  expect(
    computeStatus(
      cr({
        conditions: [
          { type: "Ready", status: "True" },
          { type: "Reconciling", status: "True", reason: "Progressing" },
        ],
      }),
    ).status,
  ).toBe("InProgress");
});

test("observedGeneration behind generation: InProgress, even when Ready says True", () => {
  const r = computeStatus(
    cr({ observedGeneration: 1, conditions: [{ type: "Ready", status: "True" }] }, 2),
  );
  expect(r).toMatchObject({ status: "InProgress", reason: "LatestGenerationNotObserved" });
});
