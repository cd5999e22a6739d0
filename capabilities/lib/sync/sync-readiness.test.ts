import type { Condition } from "../status/conditions";
import type { HealthState, InfrahubSyncObject, VidraResourceObject } from "./resources";
import { syncReadiness } from "./sync-readiness";

const now = new Date("2025-06-01T12:00:00Z");

const sync = (wait = false): InfrahubSyncObject => ({
  metadata: { name: "web", generation: 1 },
  spec: {
    source: { infrahubAPIURL: "http://infrahub", targetBranch: "main", artefactName: "a" },
    wait,
  },
});

function vr(
  name: string,
  ready: Partial<Condition> & { status: Condition["status"] },
  opts: { health?: HealthState; stalled?: boolean; suspend?: boolean } = {},
): VidraResourceObject {
  const conditions: Condition[] = [
    { type: "Ready", reason: "Applied", message: "", lastTransitionTime: "", ...ready },
  ];
  if (opts.stalled)
    conditions.push({
      type: "Stalled",
      status: "True",
      reason: "x",
      message: "",
      lastTransitionTime: "",
    });
  return {
    metadata: { name, generation: 1 },
    spec: { suspend: opts.suspend },
    status: {
      observedGeneration: 1,
      conditions,
      ...(opts.health
        ? { health: { status: opts.health, since: "", unhealthyCount: 0, unhealthy: [] } }
        : {}),
    },
  };
}

const ready = (cs: Condition[]) => cs.find(c => c.type === "Ready")!;
const has = (cs: Condition[], type: string) => cs.find(c => c.type === type)?.status;

test("every VidraResource ready: Synced; with wait, applied and healthy", () => {
  const r = syncReadiness(sync(), [vr("a", { status: "True" })], [], now);
  expect(ready(r)).toMatchObject({
    status: "True",
    reason: "Synced",
    message: "1 artifact(s) from branch main applied",
  });
  const w = syncReadiness(
    sync(true),
    [vr("a", { status: "True" }, { health: "Healthy" })],
    [],
    now,
  );
  expect(ready(w).message).toBe("1 artifact(s) from branch main applied and healthy");
});

test("objects rolling out: Reconciling, Progressing, with the first one's message", () => {
  const r = syncReadiness(
    sync(true),
    [
      vr("a", { status: "True" }, { health: "Healthy" }),
      vr(
        "b",
        { status: "Unknown", message: "waiting for 1 of 4 object(s)…" },
        { health: "Progressing" },
      ),
    ],
    [],
    now,
  );
  expect(ready(r)).toMatchObject({
    status: "Unknown",
    reason: "Progressing",
    message:
      "waiting for 1 of 2 VidraResource(s) to become healthy; b: waiting for 1 of 4 object(s)…",
  });
  expect(has(r, "Reconciling")).toBe("True");
});

test("unhealthy after the timeout: HealthCheckFailed, Stalled like its VidraResources", () => {
  const r = syncReadiness(
    sync(true),
    [
      vr("a", { status: "True" }),
      vr(
        "b",
        {
          status: "False",
          reason: "HealthCheckFailed",
          message: "1 of 4 object(s) not healthy after 5m0s: …",
        },
        { health: "Unhealthy", stalled: true },
      ),
    ],
    [],
    now,
  );
  expect(ready(r)).toMatchObject({
    status: "False",
    reason: "HealthCheckFailed",
    message: "1 of 2 VidraResource(s) unhealthy; b: 1 of 4 object(s) not healthy after 5m0s: …",
  });
  expect(has(r, "Stalled")).toBe("True");
});

test("an apply failure is VidraResourceFailed, not stalled", () => {
  const r = syncReadiness(
    sync(),
    [vr("a", { status: "False", reason: "OwnershipConflict", message: "taken" })],
    [],
    now,
  );
  expect(ready(r)).toMatchObject({
    reason: "VidraResourceFailed",
    message: "1 of 1 VidraResource(s) failed; a: taken",
  });
  expect(has(r, "Stalled")).toBeUndefined();
});

test("a VidraResource suspended by hand keeps the sync from Ready, and says how to resume", () => {
  const r = syncReadiness(
    sync(),
    [
      vr("a", { status: "True" }),
      vr("b", { status: "False", reason: "Suspended" }, { suspend: true }),
    ],
    [],
    now,
  );
  expect(ready(r)).toMatchObject({
    status: "False",
    reason: "VidraResourceSuspended",
    message: "1 of 2 VidraResource(s) suspended (b); set spec.suspend: false on them to resume",
  });
});
