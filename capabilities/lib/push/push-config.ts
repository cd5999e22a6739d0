import { parseDuration } from "../duration";
import { OperatorError } from "../errors";

/** How the webhook receiver runs; from the watcher's environment (package.json pepr.env). */
export interface PushConfig {
  enabled: boolean;
  host: string;
  port: number;
  /** Plain HTTP instead of the module's TLS: only for local setups, said in the log. */
  plainHttp: boolean;
  toleranceMs: number;
  maxBodyBytes: number;
  replayCacheSize: number;
  /** Where the webhook key Secrets are. */
  namespace: string;
  /** Events for one sync within this window make one fetch. */
  debounceMs: number;
}

export const PUSH_DEFAULTS: PushConfig = {
  enabled: true,
  host: "0.0.0.0",
  port: 8443,
  plainHttp: false,
  toleranceMs: 5 * 60_000,
  maxBodyBytes: 64 * 1024,
  replayCacheSize: 10_000,
  namespace: "pepr-system",
  debounceMs: 200,
};

export class PushConfigError extends OperatorError {
  constructor(message: string) {
    super(message, { reason: "InvalidWebhookConfig", retryable: false });
  }
}

function integer(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new PushConfigError(
      `${name}=${JSON.stringify(raw)}: expected an integer from ${min} to ${max}`,
    );
  return n;
}

function duration(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  let ms: number;
  try {
    ms = parseDuration(raw);
  } catch (err) {
    throw new PushConfigError(`${name}: ${(err as Error).message}`);
  }
  if (ms < min) throw new PushConfigError(`${name}=${raw}: must be at least ${min} ms`);
  return ms;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (["true", "1", "on", "yes"].includes(raw)) return true;
  if (["false", "0", "off", "no"].includes(raw)) return false;
  throw new PushConfigError(`${name}=${JSON.stringify(env[name])}: expected true or false`);
}

/**
 * VIDRA_WEBHOOK_RECEIVER (on), VIDRA_WEBHOOK_HOST (0.0.0.0), VIDRA_WEBHOOK_PORT (8443),
 * VIDRA_WEBHOOK_PLAIN_HTTP (false), VIDRA_WEBHOOK_TOLERANCE (5m), VIDRA_WEBHOOK_MAX_BODY_BYTES
 * (65536), VIDRA_WEBHOOK_REPLAY_CACHE (10000), VIDRA_WEBHOOK_NAMESPACE (pepr-system),
 * VIDRA_WEBHOOK_DEBOUNCE (200ms).
 * @throws PushConfigError naming the variable
 */
export function pushConfigFromEnv(env: NodeJS.ProcessEnv = process.env): PushConfig {
  const d = PUSH_DEFAULTS;
  return {
    enabled: flag(env, "VIDRA_WEBHOOK_RECEIVER", d.enabled),
    host: env.VIDRA_WEBHOOK_HOST || d.host,
    port: integer(env, "VIDRA_WEBHOOK_PORT", d.port, 0, 65535),
    plainHttp: flag(env, "VIDRA_WEBHOOK_PLAIN_HTTP", d.plainHttp),
    toleranceMs: duration(env, "VIDRA_WEBHOOK_TOLERANCE", d.toleranceMs, 1000),
    maxBodyBytes: integer(
      env,
      "VIDRA_WEBHOOK_MAX_BODY_BYTES",
      d.maxBodyBytes,
      1024,
      16 * 1024 * 1024,
    ),
    replayCacheSize: integer(env, "VIDRA_WEBHOOK_REPLAY_CACHE", d.replayCacheSize, 1, 10_000_000),
    namespace: env.VIDRA_WEBHOOK_NAMESPACE || d.namespace,
    debounceMs: duration(env, "VIDRA_WEBHOOK_DEBOUNCE", d.debounceMs, 0),
  };
}
