/**
 * Pepr 1.1.4's watches (kubernetes-fluent-client 3.11.6) and API-server outages. Pepr reads its watch
 * settings from the environment once, when its library loads (`watchCfg` in pepr/dist/lib.js):
 * PEPR_RESYNC_FAILURE_MAX (default 5), PEPR_RESYNC_DELAY_SECONDS (5), PEPR_LAST_SEEN_LIMIT_SECONDS
 * (300) and PEPR_RELIST_INTERVAL_SECONDS (600). A watch that cannot reconnect counts one failure per
 * resync delay and, past the maximum, emits GIVE_UP, whose Pepr handler throws from a timer: an
 * uncaught exception that ends the process after about 30 s without an API server. KFC treats an
 * undefined maximum as unlimited, but Pepr always passes a number (parseInt, so "Infinity" would be
 * NaN and give up at once), hence the largest safe integer: at one attempt per 5 s, never.
 */

/** Defaults the operator sets before Pepr loads; anything set in the environment wins. */
export const WATCH_RETRY_DEFAULTS: Readonly<Record<string, string>> = {
  PEPR_RESYNC_FAILURE_MAX: String(Number.MAX_SAFE_INTEGER),
};

/** Fills in the defaults the environment leaves unset; returns the effective values. */
export function applyWatchRetryDefaults(
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const effective: Record<string, string> = {};
  for (const [name, value] of Object.entries(WATCH_RETRY_DEFAULTS)) {
    if (env[name] === undefined || env[name] === "") env[name] = value;
    effective[name] = env[name]!;
  }
  return effective;
}

/** The error Pepr's GIVE_UP handler throws (registerWatchEventHandlers in pepr/dist/lib.js). */
export function isWatchGiveUp(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith("WatchEvent GiveUp Error");
}

/**
 * Catches the uncaught exception of a Pepr watch that gave up, so the process stays up and
 * `onGiveUp` can replace the watch; any other uncaught exception ends the process as Node would
 * (its stack printed, exit code 1). Returns a function that removes the guard.
 */
export function guardWatchGiveUps(
  handlers: { onGiveUp: (err: Error) => void; onFatal?: (err: unknown) => void },
  proc: Pick<NodeJS.Process, "on" | "off" | "exit"> = process,
): () => void {
  const listener = (err: unknown): void => {
    if (isWatchGiveUp(err)) {
      handlers.onGiveUp(err as Error);
      return;
    }
    try {
      handlers.onFatal?.(err);
    } finally {
      console.error(err);
      proc.exit(1);
    }
  };
  proc.on("uncaughtException", listener);
  return () => proc.off("uncaughtException", listener);
}
