import { computeStatus } from "./index";

const deployment = (
  spec: Record<string, unknown>,
  status: Record<string, unknown>,
  generation = 1,
) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", generation },
  spec: { replicas: 2, ...spec },
  status: { observedGeneration: generation, ...status },
});

const rolledOut = {
  replicas: 2,
  updatedReplicas: 2,
  readyReplicas: 2,
  availableReplicas: 2,
  conditions: [
    { type: "Available", status: "True" },
    { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" },
  ],
};

describe("Deployment", () => {
  test("rolled out: Current", () => {
    expect(computeStatus(deployment({}, rolledOut))).toMatchObject({
      status: "Current",
      message: "2/2 available",
    });
  });

  test("no status yet: InProgress", () => {
    const d = { apiVersion: "apps/v1", kind: "Deployment", metadata: { generation: 1 }, spec: {} };
    expect(computeStatus(d)).toMatchObject({ status: "InProgress", message: "0/1 updated" });
  });

  test("pods created but none available", () => {
    const r = computeStatus(
      deployment({}, { replicas: 2, updatedReplicas: 2, readyReplicas: 0, availableReplicas: 0 }),
    );
    expect(r).toEqual({ status: "InProgress", reason: "LessAvailable", message: "0/2 available" });
  });

  test("old replicas still terminating", () => {
    const r = computeStatus(deployment({}, { ...rolledOut, replicas: 3 }));
    expect(r).toMatchObject({ status: "InProgress", reason: "ExtraPods" });
  });

  test("available but not all ready", () => {
    const r = computeStatus(deployment({}, { ...rolledOut, readyReplicas: 1 }));
    expect(r).toMatchObject({ status: "InProgress", message: "1/2 ready" });
  });

  test("a spec the controller has not seen yet is InProgress whatever the counts say", () => {
    const d = deployment({}, rolledOut, 2);
    d.status.observedGeneration = 1;
    expect(computeStatus(d)).toMatchObject({
      status: "InProgress",
      reason: "LatestGenerationNotObserved",
    });
  });

  test("progress deadline exceeded: Failed", () => {
    const r = computeStatus(
      deployment(
        { progressDeadlineSeconds: 600 },
        {
          replicas: 2,
          updatedReplicas: 2,
          conditions: [
            {
              type: "Progressing",
              status: "False",
              reason: "ProgressDeadlineExceeded",
              message: 'ReplicaSet "web-1" has timed out progressing.',
            },
          ],
        },
      ),
    );
    expect(r).toMatchObject({ status: "Failed", reason: "ProgressDeadlineExceeded" });
    expect(r.message).toContain("has timed out progressing");
  });

  test("counts complete but the controller still progressing: InProgress", () => {
    const r = computeStatus(
      deployment(
        { progressDeadlineSeconds: 600 },
        {
          ...rolledOut,
          conditions: [
            { type: "Available", status: "True" },
            { type: "Progressing", status: "True", reason: "ReplicaSetUpdated" },
          ],
        },
      ),
    );
    expect(r).toMatchObject({ status: "InProgress", reason: "ReplicaSetNotAvailable" });
  });

  test("scaled to zero: Current", () => {
    expect(computeStatus(deployment({ replicas: 0 }, {}))).toMatchObject({ status: "Current" });
  });

  test("being deleted: Terminating", () => {
    const d = deployment({}, rolledOut);
    (d.metadata as Record<string, unknown>).deletionTimestamp = "2025-01-01T00:00:00Z";
    expect(computeStatus(d).status).toBe("Terminating");
  });
});

describe("StatefulSet", () => {
  const sts = (spec: Record<string, unknown>, status: Record<string, unknown>) => ({
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { generation: 1 },
    spec: { replicas: 3, ...spec },
    status: { observedGeneration: 1, ...status },
  });
  const done = {
    replicas: 3,
    readyReplicas: 3,
    currentReplicas: 3,
    updatedReplicas: 3,
    currentRevision: "db-1",
    updateRevision: "db-1",
  };

  test("all ready on one revision: Current", () => {
    expect(computeStatus(sts({}, done))).toMatchObject({ status: "Current", message: "3/3 ready" });
  });

  test("replicas missing, then not ready", () => {
    expect(computeStatus(sts({}, { replicas: 1 }))).toMatchObject({ message: "1/3 created" });
    expect(computeStatus(sts({}, { ...done, readyReplicas: 2 }))).toMatchObject({
      status: "InProgress",
      message: "2/3 ready",
    });
  });

  test("a rolling update still on the old revision", () => {
    const r = computeStatus(sts({}, { ...done, updateRevision: "db-2" }));
    expect(r).toMatchObject({ status: "InProgress", reason: "RevisionMismatch" });
  });

  test("a partitioned rollout is done when the replicas above the partition are updated", () => {
    const spec = { updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } } };
    expect(computeStatus(sts(spec, { ...done, updatedReplicas: 0 }))).toMatchObject({
      status: "InProgress",
      reason: "PartitionRollout",
    });
    expect(
      computeStatus(sts(spec, { ...done, updatedReplicas: 1, updateRevision: "db-2" })).status,
    ).toBe("Current");
  });

  test("OnDelete is not waited for", () => {
    const r = computeStatus(sts({ updateStrategy: { type: "OnDelete" } }, { replicas: 0 }));
    expect(r.status).toBe("Current");
  });
});

describe("DaemonSet", () => {
  const ds = (status: Record<string, unknown>) => ({
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { generation: 1 },
    spec: {},
    status,
  });

  test("not yet seen by its controller", () => {
    expect(computeStatus(ds({}))).toMatchObject({
      status: "InProgress",
      reason: "NoObservedGeneration",
    });
  });

  test("one pod per node, each ready: Current", () => {
    const s = {
      observedGeneration: 1,
      desiredNumberScheduled: 2,
      currentNumberScheduled: 2,
      updatedNumberScheduled: 2,
      numberAvailable: 2,
      numberReady: 2,
    };
    expect(computeStatus(ds(s))).toMatchObject({ status: "Current", message: "2/2 ready" });
    expect(computeStatus(ds({ ...s, numberAvailable: 1 }))).toMatchObject({
      status: "InProgress",
      message: "1/2 available",
    });
    expect(computeStatus(ds({ ...s, updatedNumberScheduled: 0 }))).toMatchObject({
      message: "0/2 updated",
    });
  });
});

describe("ReplicaSet", () => {
  const rs = (status: Record<string, unknown>) => ({
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { generation: 1 },
    spec: { replicas: 2 },
    status: { observedGeneration: 1, ...status },
  });

  test("available: Current; fewer: InProgress", () => {
    const s = { replicas: 2, fullyLabeledReplicas: 2, availableReplicas: 2, readyReplicas: 2 };
    expect(computeStatus(rs(s)).status).toBe("Current");
    expect(computeStatus(rs({ ...s, availableReplicas: 0 }))).toMatchObject({
      message: "0/2 available",
    });
  });

  test("a ReplicaFailure (quota, say) is reported", () => {
    const r = computeStatus(
      rs({
        conditions: [
          {
            type: "ReplicaFailure",
            status: "True",
            reason: "FailedCreate",
            message: 'pods "web-1" is forbidden: exceeded quota',
          },
        ],
      }),
    );
    expect(r).toMatchObject({ status: "InProgress", reason: "ReplicaFailure" });
    expect(r.message).toBe('FailedCreate: pods "web-1" is forbidden: exceeded quota');
  });
});
