import { SHARD_LABEL, ShardConfigError, shardFromEnv, ShardSelector } from "./shard";

const labelled = (key?: string): Record<string, string> =>
  key === undefined ? {} : { [SHARD_LABEL]: key };

test("without settings a watcher owns every object", () => {
  const s = shardFromEnv({});
  expect(s.sharded).toBe(false);
  expect(s.owns(undefined)).toBe(true);
  expect(s.owns(labelled("a"))).toBe(true);
  expect(s.leaseName("vidra-pepr-leader")).toBe("vidra-pepr-leader");
});

test("with keys a watcher owns exactly those, and the unlabelled only when asked", () => {
  const s = shardFromEnv({ VIDRA_SHARD_KEYS: " a, b ,," });
  expect([...s.keys]).toEqual(["a", "b"]);
  expect(s.owns(labelled("a"))).toBe(true);
  expect(s.owns(labelled("b"))).toBe(true);
  expect(s.owns(labelled("c"))).toBe(false);
  expect(s.owns(labelled())).toBe(false);
  expect(s.owns(labelled(""))).toBe(false);
  const t = shardFromEnv({ VIDRA_SHARD_KEYS: "c", VIDRA_SHARD_UNLABELLED: "true" });
  expect(t.owns(labelled())).toBe(true);
  expect(t.owns(labelled(""))).toBe(true);
  expect(t.owns(labelled("a"))).toBe(false);
  expect(t.describe()).toBe("shard keys c and unlabelled objects");
});

test("VIDRA_SHARD_UNLABELLED=true alone owns only the unlabelled objects (the main shard)", () => {
  const s = shardFromEnv({ VIDRA_SHARD_UNLABELLED: "true" });
  expect(s.sharded).toBe(true);
  expect(s.owns(labelled())).toBe(true);
  expect(s.owns(labelled("a"))).toBe(false);
  expect(s.describe()).toBe("unlabelled objects only");
  expect(s.leaseName("vidra-pepr-leader")).toBe("vidra-pepr-leader-unlabelled");
});

test("each shard has its own Lease name, a valid one whatever the keys", () => {
  const a = new ShardSelector(["b", "a"], false).leaseName("vidra-pepr-leader");
  expect(a).toBe("vidra-pepr-leader-a-b");
  expect(new ShardSelector(["c"], true).leaseName("vidra-pepr-leader")).toBe(
    "vidra-pepr-leader-c-unlabelled",
  );
  const odd = new ShardSelector(["Team_A"], false).leaseName("vidra-pepr-leader");
  const odd2 = new ShardSelector(["team-a"], false).leaseName("vidra-pepr-leader");
  expect(odd).not.toBe(odd2);
  const long = new ShardSelector(["x".repeat(60), "y".repeat(60)], false).leaseName(
    "vidra-pepr-leader",
  );
  for (const n of [odd, odd2, long]) {
    expect(n.length).toBeLessThanOrEqual(63);
    expect(n).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
  }
});

test("settings that cannot work are refused with the reason", () => {
  expect(() => shardFromEnv({ VIDRA_SHARD_KEYS: "a b" })).toThrow(ShardConfigError);
  expect(() => shardFromEnv({ VIDRA_SHARD_KEYS: "-a" })).toThrow(/not a label value/);
  expect(() => shardFromEnv({ VIDRA_SHARD_UNLABELLED: "false" })).toThrow(/reconcile nothing/);
  expect(() => shardFromEnv({ VIDRA_SHARD_KEYS: "a", VIDRA_SHARD_UNLABELLED: "maybe" })).toThrow(
    /true or false/,
  );
});
