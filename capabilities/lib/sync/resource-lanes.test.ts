import { holdingQueue } from "../queue/holding-queue";
import { MAINTENANCE_LANE, resourceLaneOf, SPEC_CHANGED_LANE } from "./resource-lanes";
import type { VidraResourceObject } from "./resources";

const vr = (name: string, generation: number, observed?: number, deleting = false) =>
  ({
    apiVersion: "infrahub.operators.com/v1alpha1",
    kind: "VidraResource",
    metadata: {
      name,
      generation,
      ...(deleting ? { deletionTimestamp: "2026-12-05T08:00:00Z" } : {}),
    },
    spec: {},
    ...(observed === undefined ? {} : { status: { observedGeneration: observed } }),
  }) as unknown as VidraResourceObject;

test("a new or changed spec goes to its own lane; re-applies, deletions and unknown names do not", () => {
  const cache = new Map([
    ["new", vr("new", 1)],
    ["changed", vr("changed", 3, 2)],
    ["applied", vr("applied", 3, 3)],
    ["deleting", vr("deleting", 4, 3, true)],
  ]);
  const lane = resourceLaneOf(name => cache.get(name));
  expect(lane("new")).toBe(SPEC_CHANGED_LANE);
  expect(lane("changed")).toBe(SPEC_CHANGED_LANE);
  expect(lane("applied")).toBe(MAINTENANCE_LANE);
  expect(lane("deleting")).toBe(MAINTENANCE_LANE);
  expect(lane("gone")).toBe(MAINTENANCE_LANE);
});

test("a changed VidraResource starts while re-applies fill every slot and the backlog", async () => {
  const cache = new Map<string, VidraResourceObject>();
  for (let i = 0; i < 5; i++) cache.set(`reapply-${i}`, vr(`reapply-${i}`, 1, 1));
  const { queue, started, finish } = holdingQueue(resourceLaneOf(name => cache.get(name)));
  for (let i = 0; i < 5; i++) queue.add(`reapply-${i}`);
  // Its re-apply waits like the others until its spec changes; then it moves to the other lane.
  cache.set("edited", vr("edited", 1, 1));
  queue.add("edited");
  expect(started).toEqual(["reapply-0"]);
  cache.set("edited", vr("edited", 2, 1));
  queue.add("edited");
  expect(started).toEqual(["reapply-0", "edited"]);
  expect(queue.depth).toBe(4);
  await finish();
});
