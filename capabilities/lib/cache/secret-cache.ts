import { errorMessage } from "../errors";
import type { KubeClient } from "../kube/client";
import { Watcher, type WatcherOptions } from "../kube/watch";
import { nullLogger, type Logger } from "../logger";
import type { SecretObject, SecretSource } from "../sync/secrets";

/** One Secret by name, or the Secrets carrying a label (in one namespace, or in all). */
export type SecretQuery =
  | { namespace: string; name: string }
  | { namespace?: string; labelSelector: string };

interface Entry {
  watcher: Watcher;
  items: Map<string, SecretObject>;
  ready: Promise<void>;
  holders: Set<string>;
}

export interface SecretCacheOptions {
  logger?: Logger;
  /** A watched Secret changed (rotation, creation, deletion): the holders that read it. */
  onChange?: (holders: string[]) => void;
  /** For tests: the watchers' timing. */
  watcher?: Pick<WatcherOptions, "timeoutSeconds" | "baseDelayMs" | "maxDelayMs" | "random">;
}

const queryKey = (q: SecretQuery): string =>
  "name" in q ? `name:${q.namespace}/${q.name}` : `label:${q.namespace ?? "*"}/${q.labelSelector}`;
const itemKey = (s: SecretObject): string => `${s.metadata?.namespace}/${s.metadata?.name}`;

/**
 * The Secrets syncs reference, and only those: one watch per referenced Secret (a field selector on
 * its name) or per label lookup, opened on first use, shared by every holder (sync) that reads it,
 * and closed when no holder reads it any more. Its first read waits for the watch's initial LIST,
 * so an absent Secret is one the API server said is absent, never one not yet seen; a watch that
 * could not start is dropped (its read fails, and the next read tries again).
 */
export class SecretCache {
  private readonly entries = new Map<string, Entry>();
  private readonly uses = new Map<string, Set<string>>();
  private stopped = false;
  /** Between releaseAll() and resume(): no watch outlives the round that opened it. */
  private standby = false;

  constructor(
    private readonly kube: KubeClient,
    private readonly opts: SecretCacheOptions = {},
  ) {}

  private get log(): Logger {
    return this.opts.logger ?? nullLogger;
  }

  /** The Secrets `query` finds, as the watch last saw them; `holder` now uses the query. */
  async read(holder: string, query: SecretQuery): Promise<SecretObject[]> {
    if (this.stopped) throw new Error("the Secret cache is stopped");
    const key = queryKey(query);
    const entry = this.entries.get(key) ?? this.open(key, query);
    entry.holders.add(holder);
    let used = this.uses.get(holder);
    if (!used) this.uses.set(holder, (used = new Set()));
    used.add(key);
    try {
      await entry.ready;
    } catch (err) {
      if (this.entries.get(key) === entry) this.close(key, entry);
      throw err;
    }
    return [...entry.items.values()];
  }

  private open(key: string, query: SecretQuery): Entry {
    const ns = query.namespace;
    const path = ns ? `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets` : "/api/v1/secrets";
    const items = new Map<string, SecretObject>();
    const holders = new Set<string>();
    const watcher = new Watcher(this.kube, path, {
      ...this.opts.watcher,
      ...("name" in query
        ? { fieldSelector: `metadata.name=${query.name}` }
        : { labelSelector: query.labelSelector }),
      logger: this.log,
      onInitialList: list => {
        for (const s of list) items.set(itemKey(s), s);
      },
      onEvent: (type, obj) => {
        if (type === "DELETED") items.delete(itemKey(obj));
        else items.set(itemKey(obj), obj as SecretObject);
        try {
          this.opts.onChange?.([...holders]);
        } catch (err) {
          this.log.error({ err: errorMessage(err) }, "a Secret change handler failed");
        }
      },
    });
    const entry: Entry = { watcher, items, holders, ready: watcher.start() };
    // Failures are the reader's to report; this keeps an unawaited rejection from being unhandled.
    entry.ready.catch(() => undefined);
    this.entries.set(key, entry);
    return entry;
  }

  private close(key: string, entry: Entry): void {
    this.entries.delete(key);
    for (const h of entry.holders) this.uses.get(h)?.delete(key);
    void entry.watcher.stop();
  }

  /** Starts a holder's round of reads: what it does not read again before `endRound` is let go. */
  beginRound(holder: string): void {
    this.uses.set(holder, new Set());
  }

  /** Closes the watches no holder read in its latest round. */
  endRound(holder: string): void {
    // A round still running when this replica stepped down must not leave a watch behind.
    if (this.standby) return this.release(holder);
    const used = this.uses.get(holder) ?? new Set<string>();
    for (const [key, entry] of this.entries) {
      if (used.has(key) || !entry.holders.has(holder)) continue;
      entry.holders.delete(holder);
      if (entry.holders.size === 0) this.close(key, entry);
    }
  }

  /** The holder is gone (its sync deleted, or moved to another shard). */
  release(holder: string): void {
    this.uses.delete(holder);
    for (const [key, entry] of this.entries) {
      if (!entry.holders.delete(holder)) continue;
      if (entry.holders.size === 0) this.close(key, entry);
    }
  }

  /**
   * No holder reads any Secret any more (this replica stopped leading): every watch closes, and
   * until resume() a holder's round lets go of what it read when it ends.
   */
  releaseAll(): void {
    this.standby = true;
    this.uses.clear();
    for (const [key, entry] of this.entries) this.close(key, entry);
  }

  /** Holders keep what they read again (this replica leads). */
  resume(): void {
    this.standby = false;
  }

  /** Open watches (one per referenced Secret or label lookup). */
  get watches(): number {
    return this.entries.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(entries.map(e => e.watcher.stop()));
  }
}

/** The reads of one holder (a sync), through the cache. */
export function cachedSecrets(cache: SecretCache, holder: string): SecretSource {
  return {
    get: async (namespace, name) => (await cache.read(holder, { namespace, name }))[0],
    labelled: (label, value, namespace) =>
      cache.read(holder, { namespace, labelSelector: `${label}=${value}` }),
  };
}
