import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { parseDuration } from "../duration";
import { errorMessage, OperatorError } from "../errors";
import type { ShardSelector } from "../shard/shard";
import { DEFAULT_TIMINGS, timingsProblem, type LeaderTimings } from "./elector";

/** The Lease of an unsharded fleet; shards add their keys (ShardSelector.leaseName). */
export const DEFAULT_LEASE_NAME = "vidra-pepr-leader";
const DEFAULT_NAMESPACE = "pepr-system";
const SA_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/** A leader-election setting that cannot work. */
export class LeaderConfigError extends OperatorError {
  constructor(message: string) {
    super(message, { reason: "InvalidLeaderElectionConfig", retryable: false });
  }
}

export interface LeaderConfig {
  enabled: boolean;
  namespace: string;
  leaseName: string;
  /** Pod name (hostname) plus a random suffix: two processes never share one. */
  identity: string;
  timings: LeaderTimings;
}

function duration(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const v = env[name]?.trim();
  if (!v) return fallback;
  try {
    return parseDuration(v);
  } catch (err) {
    throw new LeaderConfigError(`${name}: ${errorMessage(err)}`);
  }
}

function podNamespace(): string | undefined {
  try {
    return existsSync(SA_NAMESPACE_FILE)
      ? readFileSync(SA_NAMESPACE_FILE, "utf8").trim()
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Leader election of the watcher, from its environment (package.json `pepr.env`):
 * VIDRA_LEADER_ELECTION (default true), VIDRA_LEADER_ELECTION_NAMESPACE (VIDRA_OPERATOR_NAMESPACE,
 * else the pod's namespace),
 * VIDRA_LEADER_ELECTION_LEASE (default vidra-pepr-leader, per shard with the shard's keys),
 * VIDRA_LEASE_DURATION (15s), VIDRA_RENEW_DEADLINE (10s), VIDRA_RETRY_PERIOD (2s).
 */
export function leaderConfigFromEnv(
  shard: ShardSelector,
  env: NodeJS.ProcessEnv = process.env,
  host: string = env.POD_NAME || hostname(),
): LeaderConfig {
  const flag = env.VIDRA_LEADER_ELECTION?.trim();
  if (flag && !/^(true|false|1|0|yes|no|on|off)$/i.test(flag))
    throw new LeaderConfigError(
      `VIDRA_LEADER_ELECTION must be true or false, got ${JSON.stringify(flag)}`,
    );
  const timings: LeaderTimings = {
    leaseDurationMs: duration(env, "VIDRA_LEASE_DURATION", DEFAULT_TIMINGS.leaseDurationMs),
    renewDeadlineMs: duration(env, "VIDRA_RENEW_DEADLINE", DEFAULT_TIMINGS.renewDeadlineMs),
    retryPeriodMs: duration(env, "VIDRA_RETRY_PERIOD", DEFAULT_TIMINGS.retryPeriodMs),
  };
  const problem = timingsProblem(timings);
  if (problem)
    throw new LeaderConfigError(
      `VIDRA_LEASE_DURATION/VIDRA_RENEW_DEADLINE/VIDRA_RETRY_PERIOD: ${problem}`,
    );
  const leaseName = shard.leaseName(env.VIDRA_LEADER_ELECTION_LEASE?.trim() || DEFAULT_LEASE_NAME);
  if (leaseName.length > 253 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(leaseName))
    throw new LeaderConfigError(
      `VIDRA_LEADER_ELECTION_LEASE: ${JSON.stringify(leaseName)} is not a valid Lease name`,
    );
  return {
    enabled: !flag || /^(true|1|yes|on)$/i.test(flag),
    namespace:
      env.VIDRA_LEADER_ELECTION_NAMESPACE?.trim() ||
      env.VIDRA_OPERATOR_NAMESPACE?.trim() ||
      podNamespace() ||
      DEFAULT_NAMESPACE,
    leaseName,
    identity: `${host}_${randomBytes(4).toString("hex")}`,
    timings,
  };
}
