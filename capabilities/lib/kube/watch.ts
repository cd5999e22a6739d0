import type { IncomingMessage } from "node:http";
import { createInterface } from "node:readline";
import { backoffDelayMs } from "../backoff";
import { withoutBookkeeping } from "../cache/bookkeeping";
import { errorMessage } from "../errors";
import { nullLogger, type Logger } from "../logger";
import type { KubeClient, KubeObject } from "./client";

/**
 * Why our own watch and not client-node's Watch/ListWatch (1.4.0): Watch fetches through
 * KubeConfig.applyToFetchOptions (a new, non-keep-alive agent per watch, no HTTPS_PROXY, no
 * impersonation but the kubeconfig's `as`), returns its AbortController only once the response
 * headers arrived (a watch waiting on a dead server cannot be stopped) and drops unparsable lines
 * silently; ListWatch keeps every object in full (Secret data included); neither has an idle
 * watchdog. This one runs on the cluster's transport and keeps only what it needs to report
 * deletions.
 */

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface WatcherOptions {
  labelSelector?: string;
  /** E.g. `metadata.name=x`: one object watched as a collection of at most one. */
  fieldSelector?: string;
  /** Report the objects found by the first LIST as ADDED. */
  emitInitial?: boolean;
  onEvent: (type: WatchEventType, obj: KubeObject) => void;
  /** The objects of the first LIST, once (they are not kept). */
  onInitialList?: (items: KubeObject[]) => void;
  logger?: Logger;
  /** Server-side watch timeout (jittered ±20%); the watch then resumes from the last resourceVersion. */
  timeoutSeconds?: number;
  /**
   * A connection silent this long is taken for dead (a half-open TCP connection sends nothing,
   * forever). The server ends every watch after timeoutSeconds and sends bookmarks meanwhile, so
   * the default is the timeout plus a minute.
   */
  idleTimeoutMs?: number;
  /** Backoff between failed attempts. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
}

interface WatchLine {
  type: WatchEventType | "BOOKMARK" | "ERROR";
  object: KubeObject & { code?: number; message?: string };
}

/**
 * What is kept of a watched object: enough to report its deletion, nothing of its content (nor
 * kubectl's last-applied annotation, a copy of the content, a Secret's data included).
 */
function summary(o: KubeObject): KubeObject {
  const m = withoutBookkeeping(o).metadata ?? {};
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      labels: m.labels,
      annotations: m.annotations,
    },
  };
}

/**
 * LIST then WATCH one collection: resumes from the last resourceVersion (bookmarks keep it fresh),
 * relists on 410 Gone (reporting objects deleted meanwhile), reconnects with backoff after errors,
 * ERROR events and connections that end at once, and drops a connection that has been silent for
 * too long.
 */
export class Watcher {
  private stopped = false;
  private abort: (() => void) | undefined;
  private resourceVersion: string | undefined;
  private readonly known = new Map<string, KubeObject>();
  private failures = 0;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

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
    const items = await this.relist(this.opts.emitInitial ?? false);
    this.opts.onInitialList?.(items);
    this.loop = this.run();
  }

  private async relist(emit: boolean): Promise<KubeObject[]> {
    const list = await this.client.list(this.collectionPath, {
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.opts.fieldSelector,
    });
    const seen = new Set<string>();
    for (const item of list.items) {
      const k = this.key(item);
      seen.add(k);
      const before = this.known.get(k);
      this.known.set(k, summary(item));
      if (!emit) continue;
      if (!before) this.opts.onEvent("ADDED", item);
      else if (before.metadata?.resourceVersion !== item.metadata?.resourceVersion)
        this.opts.onEvent("MODIFIED", item);
    }
    for (const [k, obj] of this.known) {
      if (!seen.has(k)) {
        this.known.delete(k);
        if (emit) this.opts.onEvent("DELETED", obj);
      }
    }
    this.resourceVersion = list.metadata?.resourceVersion;
    return list.items;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise(resolve => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    let relist = false;
    while (!this.stopped) {
      try {
        if (relist) await this.relist(true);
        relist = await this.watchOnce();
        this.failures = 0;
      } catch (err) {
        if (this.stopped) return;
        this.failures++;
        const delay = backoffDelayMs(
          this.failures,
          { baseDelayMs: this.opts.baseDelayMs ?? 500, maxDelayMs: this.opts.maxDelayMs ?? 30_000 },
          this.opts.random ?? Math.random,
        );
        this.log.warn(
          { path: this.collectionPath, err: errorMessage(err), retryInMs: delay },
          "watch failed; resuming after a pause",
        );
        await this.sleep(delay);
      }
    }
  }

  /**
   * One watch connection. Resolves true when the resourceVersion is too old (relist needed), false
   * when the server ended the watch normally; throws on anything that deserves a pause.
   */
  private async watchOnce(): Promise<boolean> {
    const timeout = this.opts.timeoutSeconds ?? 300;
    const jittered = Math.max(
      1,
      Math.round(timeout * (0.8 + 0.4 * (this.opts.random ?? Math.random)())),
    );
    const q = new URLSearchParams({
      watch: "1",
      allowWatchBookmarks: "true",
      timeoutSeconds: String(jittered),
    });
    if (this.resourceVersion) q.set("resourceVersion", this.resourceVersion);
    if (this.opts.labelSelector) q.set("labelSelector", this.opts.labelSelector);
    if (this.opts.fieldSelector) q.set("fieldSelector", this.opts.fieldSelector);
    const { response, abort } = this.client.transport.openStream(
      `${this.collectionPath}?${q}`,
      30_000,
    );
    this.abort = abort;
    if (this.stopped) abort();
    const res = await response;
    if (res.statusCode === 410) {
      res.resume();
      return true;
    }
    if (res.statusCode !== 200) {
      res.resume();
      throw new Error(`watch ${this.collectionPath} answered ${res.statusCode}`);
    }
    return this.consume(res, jittered);
  }

  private async consume(res: IncomingMessage, timeoutSeconds: number): Promise<boolean> {
    const idleMs = this.opts.idleTimeoutMs ?? (timeoutSeconds + 60) * 1000;
    let idle: NodeJS.Timeout | undefined;
    let silent = false;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        silent = true;
        res.destroy();
      }, idleMs);
    };
    arm();
    res.on("data", arm);
    // A connection cut mid-body errors the response; the end is handled below either way.
    res.on("error", () => undefined);
    let lines = 0;
    try {
      const rl = createInterface({ input: res, crlfDelay: Infinity });
      // readline ends on the stream's "end" only; a destroyed response (watchdog, stop) must end it too.
      res.on("close", () => rl.close());
      for await (const line of rl) {
        if (!line.trim()) continue;
        lines++;
        const ev = JSON.parse(line) as WatchLine;
        if (ev.type === "ERROR") {
          if (ev.object.code === 410) return true;
          throw new Error(`watch ERROR event: ${ev.object.code ?? ""} ${ev.object.message ?? ""}`);
        }
        const rv = ev.object.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
        if (ev.type === "BOOKMARK") continue;
        const k = this.key(ev.object);
        if (ev.type === "DELETED") this.known.delete(k);
        else this.known.set(k, summary(ev.object));
        this.opts.onEvent(ev.type, ev.object);
      }
    } catch (err) {
      if (!this.stopped && !silent) throw err;
    } finally {
      clearTimeout(idle);
      res.destroy();
    }
    if (this.stopped) return false;
    if (silent) throw new Error(`no data for ${idleMs} ms; reconnecting`);
    if (lines === 0 && !res.complete) throw new Error("the watch connection was cut");
    return false;
  }

  /** Objects currently known (name, namespace, uid, resourceVersion, labels, annotations only). */
  snapshot(): KubeObject[] {
    return [...this.known.values()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.();
    this.wake?.();
    await this.loop?.catch(() => undefined);
  }
}
