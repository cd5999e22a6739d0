import { ShardSelector } from "../shard/shard";
import { LeaderConfigError, leaderConfigFromEnv } from "./leader-config";

const all = ShardSelector.everything();

test("defaults: on, client-go's timings, one Lease for an unsharded fleet", () => {
  const c = leaderConfigFromEnv(
    all,
    { VIDRA_LEADER_ELECTION_NAMESPACE: "pepr-system" },
    "watcher-0",
  );
  expect(c).toMatchObject({
    enabled: true,
    namespace: "pepr-system",
    leaseName: "vidra-pepr-leader",
    timings: { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
  });
  expect(c.identity).toMatch(/^watcher-0_[0-9a-f]{8}$/);
  // Two processes on one host are two candidates.
  expect(leaderConfigFromEnv(all, {}, "watcher-0").identity).not.toBe(c.identity);
});

test("timings, Lease name and switch come from the environment; each shard has its Lease", () => {
  const c = leaderConfigFromEnv(
    new ShardSelector(["a"], true),
    {
      VIDRA_LEADER_ELECTION: "false",
      VIDRA_LEASE_DURATION: "6s",
      VIDRA_RENEW_DEADLINE: "4s",
      VIDRA_RETRY_PERIOD: "500ms",
      VIDRA_LEADER_ELECTION_LEASE: "ops-vidra",
    },
    "h",
  );
  expect(c.enabled).toBe(false);
  expect(c.timings).toEqual({ leaseDurationMs: 6_000, renewDeadlineMs: 4_000, retryPeriodMs: 500 });
  expect(c.leaseName).toBe("ops-vidra-a-unlabelled");
  expect(leaderConfigFromEnv(all, { VIDRA_OPERATOR_NAMESPACE: "vidra" }, "h").namespace).toBe(
    "vidra",
  );
});

test("unsound settings are refused with the variable's name", () => {
  expect(() => leaderConfigFromEnv(all, { VIDRA_LEASE_DURATION: "soon" })).toThrow(
    /VIDRA_LEASE_DURATION: invalid duration/,
  );
  expect(() => leaderConfigFromEnv(all, { VIDRA_RENEW_DEADLINE: "20s" })).toThrow(
    LeaderConfigError,
  );
  expect(() => leaderConfigFromEnv(all, { VIDRA_LEADER_ELECTION: "sometimes" })).toThrow(
    /true or false/,
  );
  expect(() => leaderConfigFromEnv(all, { VIDRA_LEADER_ELECTION_LEASE: "Bad_Name" })).toThrow(
    /not a valid Lease name/,
  );
});
