export { DEFAULT_TIMINGS, LeaderElector, NotLeaderError, timingsProblem } from "./elector";
export type { LeaderElectorOptions, LeaderTimings } from "./elector";
export { DEFAULT_LEASE_NAME, LeaderConfigError, leaderConfigFromEnv } from "./leader-config";
export type { LeaderConfig } from "./leader-config";
export { LeaseLock } from "./lease-lock";
export type { LeaderLock, LeaderRecord, ObservedRecord } from "./lease-lock";
