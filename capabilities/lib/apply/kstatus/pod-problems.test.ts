import { podProblem, summarizePodProblems } from "./pod-problems";

const waiting = (reason: string) => ({
  status: { phase: "Pending", containerStatuses: [{ state: { waiting: { reason } } }] },
});

test("a waiting reason, an exit code, an unschedulable pod", () => {
  expect(podProblem(waiting("ImagePullBackOff"))).toBe("ImagePullBackOff");
  expect(
    podProblem({
      status: {
        phase: "Failed",
        containerStatuses: [{ state: { terminated: { reason: "Error", exitCode: 3 } } }],
      },
    }),
  ).toBe("Error (exit code 3)");
  expect(
    podProblem({
      status: {
        phase: "Pending",
        conditions: [
          {
            type: "PodScheduled",
            status: "False",
            reason: "Unschedulable",
            message: "0/1 nodes are available: 1 Insufficient cpu.",
          },
        ],
      },
    }),
  ).toBe("Unschedulable: 0/1 nodes are available: 1 Insufficient cpu.");
});

test("routine waiting reasons only when nothing worse; ready and terminating pods have none", () => {
  expect(podProblem(waiting("ContainerCreating"))).toBe("ContainerCreating");
  expect(
    podProblem({
      status: {
        containerStatuses: [
          { state: { waiting: { reason: "ContainerCreating" } } },
          { state: { waiting: { reason: "ErrImagePull" } } },
        ],
      },
    }),
  ).toBe("ErrImagePull");
  expect(
    podProblem({ status: { phase: "Running", containerStatuses: [{ state: {} }] } }),
  ).toBeUndefined();
  expect(
    podProblem({ metadata: { deletionTimestamp: "x" }, ...waiting("ImagePullBackOff") }),
  ).toBeUndefined();
});

test("the most common problem, with its share when not every pod has it", () => {
  expect(summarizePodProblems([waiting("ImagePullBackOff"), waiting("ImagePullBackOff")])).toBe(
    "ImagePullBackOff",
  );
  expect(
    summarizePodProblems([
      waiting("ImagePullBackOff"),
      waiting("ImagePullBackOff"),
      waiting("CrashLoopBackOff"),
    ]),
  ).toBe("ImagePullBackOff (2 of 3 pods); 1 other problem(s)");
  expect(summarizePodProblems([{ status: { phase: "Running" } }])).toBeUndefined();
});
