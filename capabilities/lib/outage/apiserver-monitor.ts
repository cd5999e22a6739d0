import { errorMessage } from "../errors";
import { nullLogger, type Logger } from "../logger";
import type { KubeClient } from "../kube/client";

/**
 * A probe of the API server's /readyz (readable by every identity through the default
 * system:public-info-viewer role): no answer or a 5xx is an outage; any other answer is a server
 * that is up, whatever it thinks of the request.
 */
export function readyzProbe(kube: KubeClient, timeoutMs = 5_000): () => Promise<void> {
  return async () => {
    const res = await kube.transport.send("GET", "/readyz", undefined, {}, timeoutMs);
    if (res.status >= 500) throw new Error(`/readyz answered ${res.status}`);
  };
}

export interface ApiServerMonitorOptions {
  /** Resolves when the API server answers and is ready; rejects (with why) when it is not. */
  probe: () => Promise<void>;
  /** How often to probe (default 5 s). */
  intervalMs?: number;
  /** Consecutive failed probes that make an outage (default 2: one slow answer is not one). */
  failuresBeforeDown?: number;
  logger?: Logger;
  now?: () => number;
  onDown?: (reason: string) => void;
  /** Called once the API server answers again, with how long it did not. */
  onUp?: (downForMs: number) => void;
}

/**
 * Tells whether the API server is reachable, by probing it at an interval, and reports outages as
 * they start and end (log lines, and hooks for metrics and recovery). Watches and reconciles retry
 * on their own; this makes the outage visible and lets the operator catch up at once when it ends.
 */
export class ApiServerMonitor {
  private timer: NodeJS.Timeout | undefined;
  private downSince: number | undefined;
  /** When the current run of failed probes began, and how long it is. */
  private failingSince: number | undefined;
  private failures = 0;
  private lastReason = "";
  private checking: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: ApiServerMonitorOptions) {
    this.log = opts.logger ?? nullLogger;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  get up(): boolean {
    return this.downSince === undefined;
  }

  /** Milliseconds since the API server stopped answering (0 while it answers). */
  get downForMs(): number {
    return this.downSince === undefined ? 0 : this.now() - this.downSince;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), this.opts.intervalMs ?? 5_000);
    this.timer.unref();
  }

  /** One probe; concurrent calls share it. */
  check(): Promise<void> {
    this.checking ??= this.probeOnce().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async probeOnce(): Promise<void> {
    try {
      await this.opts.probe();
    } catch (err) {
      const reason = errorMessage(err);
      this.failingSince ??= this.now();
      this.failures++;
      if (this.downSince === undefined) {
        if (this.failures < (this.opts.failuresBeforeDown ?? 2)) return;
        this.downSince = this.failingSince;
        this.lastReason = reason;
        this.log.warn(
          { reason },
          "the API server is unreachable; watches and reconciles keep retrying until it is back",
        );
        this.opts.onDown?.(reason);
      } else if (reason !== this.lastReason) {
        this.lastReason = reason;
        this.log.info(
          { reason, downForSeconds: Math.round(this.downForMs / 1000) },
          "the API server is still unreachable",
        );
      }
      return;
    }
    this.failures = 0;
    this.failingSince = undefined;
    if (this.downSince !== undefined) {
      const downForMs = this.now() - this.downSince;
      this.downSince = undefined;
      this.log.info(
        { downForSeconds: Math.round(downForMs / 1000) },
        "the API server is reachable again; resuming watches and reconciling everything",
      );
      this.opts.onUp?.(downForMs);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
