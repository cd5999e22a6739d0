import { Leadership, type LeadershipParts } from "./leadership";
import { KnownObjects } from "./known-objects";

// Only what start() and its relist touch; the relist's LIST always fails here.
function partsWithFailingList(): { parts: LeadershipParts; lists: () => number } {
  let lists = 0;
  const noop = () => undefined;
  const parts = {
    kube: {
      list: async () => {
        lists++;
        throw new Error("connection refused");
      },
    },
    log: { info: noop, warn: noop },
    metrics: { leader: { set: noop }, syncSeries: { clear: noop } },
    syncReconciler: { reset: noop },
    caches: { secrets: { resume: noop }, kubeconfigs: { resume: noop } },
  } as unknown as LeadershipParts;
  return { parts, lists: () => lists };
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

describe("Leadership", () => {
  test("a relist retrying after a failed LIST stops once the operator halts", async () => {
    const { parts, lists } = partsWithFailingList();
    const leadership = new Leadership(parts, new KnownObjects(), {
      startsLeading: false,
      relistDelayMs: 5,
    });
    leadership.start();
    await sleep(60);
    expect(lists()).toBeGreaterThan(2);
    leadership.halt();
    await sleep(20);
    const atHalt = lists();
    await sleep(60);
    expect(lists()).toBe(atHalt);
  });
});
