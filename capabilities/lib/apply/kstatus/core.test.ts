import { computeStatus } from "./index";

const pod = (status: Record<string, unknown>) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {},
  status,
});

describe("Pod", () => {
  test("Running and Ready, or Succeeded: Current", () => {
    expect(
      computeStatus(pod({ phase: "Running", conditions: [{ type: "Ready", status: "True" }] }))
        .status,
    ).toBe("Current");
    expect(computeStatus(pod({ phase: "Succeeded" })).status).toBe("Current");
  });

  test("Failed: Failed, with the container's exit code", () => {
    const r = computeStatus(
      pod({
        phase: "Failed",
        containerStatuses: [
          { name: "app", state: { terminated: { reason: "Error", exitCode: 3 } } },
        ],
      }),
    );
    expect(r).toEqual({
      status: "Failed",
      reason: "PodFailed",
      message: "failed: Error (exit code 3)",
    });
  });

  test("CrashLoopBackOff: Failed; merely not ready: InProgress", () => {
    const looping = pod({
      phase: "Running",
      conditions: [{ type: "Ready", status: "False" }],
      containerStatuses: [{ name: "app", state: { waiting: { reason: "CrashLoopBackOff" } } }],
    });
    expect(computeStatus(looping)).toMatchObject({
      status: "Failed",
      message: "CrashLoopBackOff: app",
    });
    expect(
      computeStatus(pod({ phase: "Running", conditions: [{ type: "Ready", status: "False" }] })),
    ).toMatchObject({ status: "InProgress", reason: "PodRunningNotReady" });
  });

  test("Pending: InProgress, saying why", () => {
    expect(
      computeStatus(
        pod({
          phase: "Pending",
          conditions: [
            {
              type: "PodScheduled",
              status: "False",
              reason: "Unschedulable",
              message: "0/1 nodes are available",
            },
          ],
        }),
      ),
    ).toMatchObject({ status: "InProgress", message: "Unschedulable: 0/1 nodes are available" });
    expect(
      computeStatus(
        pod({
          phase: "Pending",
          containerStatuses: [{ state: { waiting: { reason: "ImagePullBackOff" } } }],
        }),
      ),
    ).toMatchObject({ status: "InProgress", message: "pending: ImagePullBackOff" });
    expect(computeStatus(pod({})).reason).toBe("PodNotObserved");
  });
});

describe("PersistentVolumeClaim", () => {
  const pvc = (phase?: string) => ({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {},
    status: phase ? { phase } : {},
  });
  test("Bound: Current; Pending: InProgress; Lost: Failed", () => {
    expect(computeStatus(pvc("Bound")).status).toBe("Current");
    expect(computeStatus(pvc("Pending"))).toMatchObject({
      status: "InProgress",
      message: "not bound (Pending)",
    });
    expect(computeStatus(pvc()).status).toBe("InProgress");
    expect(computeStatus(pvc("Lost")).status).toBe("Failed");
  });
});

describe("Service", () => {
  const svc = (type: string, status: Record<string, unknown> = {}) => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: {},
    spec: { type, clusterIP: "10.96.0.10" },
    status,
  });
  test("a LoadBalancer waits for its address; other types are Current at once", () => {
    expect(computeStatus(svc("ClusterIP")).status).toBe("Current");
    expect(computeStatus(svc("LoadBalancer"))).toMatchObject({
      status: "InProgress",
      reason: "NoLoadBalancerAddress",
    });
    expect(
      computeStatus(svc("LoadBalancer", { loadBalancer: { ingress: [{ ip: "203.0.113.7" }] } }))
        .status,
    ).toBe("Current");
  });
});
