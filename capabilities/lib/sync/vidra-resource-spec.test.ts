import { SHARD_LABEL } from "../shard/shard";
import type { InfrahubSyncObject } from "./resources";
import { holds, vidraResourceFor } from "./vidra-resource-spec";

const sync = (key?: string): InfrahubSyncObject => ({
  metadata: { name: "s", uid: "u-1", ...(key ? { labels: { [SHARD_LABEL]: key } } : {}) },
  spec: {
    source: { infrahubAPIURL: "http://infrahub", targetBranch: "main", artefactName: "A" },
  },
});
const artifact = { id: "art-1", checksum: "c1" } as Parameters<typeof vidraResourceFor>[1];

test("a sync's VidraResources carry its shard key, and none when it has none", () => {
  expect(vidraResourceFor(sync("a"), artifact, "art-1", "", "c1").metadata.labels).toEqual({
    "infrahub.operators.com/sync": "s",
    [SHARD_LABEL]: "a",
  });
  expect(vidraResourceFor(sync(), artifact, "art-1", "", "c1").metadata.labels).toEqual({
    "infrahub.operators.com/sync": "s",
  });
});

test("a VidraResource in another shard than its sync is not current: the next fetch moves it", () => {
  const vr = vidraResourceFor(sync("a"), artifact, "art-1", "", "c1");
  expect(holds(vr, "c1", sync("a"))).toBe(true);
  expect(holds(vr, "c1", sync("b"))).toBe(false);
  expect(holds(vr, "c1", sync())).toBe(false);
  expect(holds(vidraResourceFor(sync(), artifact, "art-1", "", "c1"), "c1", sync())).toBe(true);
});
