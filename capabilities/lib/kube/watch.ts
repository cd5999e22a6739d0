import { createInterface } from "node:readline";
import { backoffDelayMs } from "../backoff";
import { errorMessage } from "../errors";
import { nullLogger, type Logger } from "../logger";
import type { KubeClient, KubeObject } from "./client";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface WatcherOptions {
  labelSelector?: string;
  /** Report the objects found by the first LIST as ADDED. */
  emitInitial?: boolean;
  onEvent: (type: WatchEventType, obj: KubeObject) => void;
  logger?: Logger;
  /** Server-side watch timeout; the watch is then resumed from the last resourceVersion. */
  timeoutSeconds?: number;
}

interface WatchLine {
  type: WatchEventType | "BOOKMARK" | "ERROR";
  object: KubeObject & { code?: number; message?: string };
}

/**
 * LIST then WATCH one collection, resuming from the last resourceVersion, relisting on 410 Gone,
 * and reconnecting with backoff on failures. Deleted objects seen only through a relist are
 * reported too, so no deletion is lost while disconnected.
 */
export class Watcher {
  private stopped = false;
  private abort: (() => void) | undefined;
  private resourceVersion: string | undefined;
  private readonly known = new Map<string, KubeObject>();
  private failures = 0;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly collectionPath: string,
    private readonly opts: WatcherOptions,
  ) {}

  private get log(): Logger {
    return this.opts.logger ?? nullLogger;
  }

  private key(o: KubeObject): string {
    return o.metadata?.uid ?? `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
  }

  /** Resolves after the initial LIST (so callers know the watch is established from then on). */
  async start(): Promise<void> {
    await this.relist(this.opts.emitInitial ?? false);
    this.loop = this.run();
  }

  private async relist(emit: boolean): Promise<void> {
    const list = await this.client.list(this.collectionPath, {
      labelSelector: this.opts.labelSelector,
    });
    const seen = new Set<string>();
    for (const item of list.items) {
      const k = this.key(item);
      seen.add(k);
      const before = this.known.get(k);
      this.known.set(k, item);
      if (emit && !before) this.opts.onEvent("ADDED", item);
      else if (
        emit &&
        before &&
        before.metadata?.resourceVersion !== item.metadata?.resourceVersion
      )
        this.opts.onEvent("MODIFIED", item);
    }
    for (const [k, obj] of this.known) {
      if (!seen.has(k)) {
        this.known.delete(k);
        if (emit) this.opts.onEvent("DELETED", obj);
      }
    }
    this.resourceVersion = list.metadata?.resourceVersion;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const gone = await this.watchOnce();
        this.failures = 0;
        if (gone) await this.relist(true);
      } catch (err) {
        if (this.stopped) return;
        this.failures++;
        const delay = backoffDelayMs(
          this.failures,
          { baseDelayMs: 500, maxDelayMs: 30_000 },
          Math.random,
        );
        this.log.warn(
          { path: this.collectionPath, err: errorMessage(err), retryInMs: delay },
          "watch failed; reconnecting",
        );
        await new Promise(r => setTimeout(r, delay));
        try {
          if (!this.stopped) await this.relist(true);
        } catch {
          // the next loop iteration retries
        }
      }
    }
  }

  /** One watch connection. Resolves true when the resourceVersion is too old (relist needed). */
  private async watchOnce(): Promise<boolean> {
    const q = new URLSearchParams({
      watch: "1",
      allowWatchBookmarks: "true",
      timeoutSeconds: String(this.opts.timeoutSeconds ?? 300),
    });
    if (this.resourceVersion) q.set("resourceVersion", this.resourceVersion);
    if (this.opts.labelSelector) q.set("labelSelector", this.opts.labelSelector);
    const { response, abort } = this.client.transport.openStream(
      `${this.collectionPath}?${q}`,
      30_000,
    );
    this.abort = abort;
    const res = await response;
    if (res.statusCode === 410) {
      res.resume();
      return true;
    }
    if (res.statusCode !== 200) {
      res.resume();
      throw new Error(`watch ${this.collectionPath} answered ${res.statusCode}`);
    }
    let gone = false;
    const lines = createInterface({ input: res, crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line.trim()) continue;
      const ev = JSON.parse(line) as WatchLine;
      if (ev.type === "ERROR") {
        if (ev.object.code === 410) gone = true;
        else
          this.log.warn(
            { path: this.collectionPath, message: ev.object.message },
            "watch error event",
          );
        break;
      }
      const rv = ev.object.metadata?.resourceVersion;
      if (rv) this.resourceVersion = rv;
      if (ev.type === "BOOKMARK") continue;
      const k = this.key(ev.object);
      if (ev.type === "DELETED") this.known.delete(k);
      else this.known.set(k, ev.object);
      this.opts.onEvent(ev.type, ev.object);
    }
    return gone;
  }

  /** Objects currently known (from the last LIST plus events). */
  snapshot(): KubeObject[] {
    return [...this.known.values()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.();
    await this.loop?.catch(() => undefined);
  }
}
