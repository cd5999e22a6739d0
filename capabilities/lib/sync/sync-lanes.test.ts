import { holdingQueue } from "../queue/holding-queue";
import { READINESS_LANE, syncLaneOf } from "./sync-lanes";

const facts = (fetched: Set<string>) => ({
  address: () => "https://infrahub.example",
  fetchDue: (name: string) => !fetched.has(name),
});

test("a sync that needs Infrahub waits in its address's lane; one that only refreshes readiness does not", () => {
  const lane = syncLaneOf(facts(new Set(["fetched"])));
  expect(lane("new")).toBe("https://infrahub.example");
  expect(lane("fetched")).toBe(READINESS_LANE);
});

test("a readiness refresh starts while fetches for the same Infrahub fill every slot and the backlog", async () => {
  const fetched = new Set(["ready-1"]);
  const { queue, started, finish } = holdingQueue(syncLaneOf(facts(fetched)));
  for (let i = 0; i < 5; i++) queue.add(`fetch-${i}`);
  queue.add("ready-1");
  expect(started).toEqual(["fetch-0", "ready-1"]);
  expect(queue.depth).toBe(4);
  await finish();
});

test("a sync whose VidraResource changed while its poll waited behind fetches refreshes its readiness at once", async () => {
  const readinessFirst = new Set<string>();
  const { queue, started, finish } = holdingQueue(
    syncLaneOf({
      address: () => "https://infrahub.example",
      // Its poll is due: without a readiness to refresh it needs Infrahub like the rest.
      fetchDue: () => true,
      readinessFirst: name => readinessFirst.has(name),
    }),
  );
  for (let i = 0; i < 5; i++) queue.add(`fetch-${i}`);
  queue.add("polled");
  expect(started).toEqual(["fetch-0"]);
  // Its VidraResource became Ready: the readiness goes first, not after fetch-1 … fetch-4.
  readinessFirst.add("polled");
  queue.add("polled");
  expect(started).toEqual(["fetch-0", "polled"]);
  expect(queue.depth).toBe(4);
  await finish();
});
