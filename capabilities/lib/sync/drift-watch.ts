import { createHash } from "node:crypto";
import type { ChangeEntry } from "../apply/types";
import { errorMessage } from "../errors";
import { resourcePath, type KubeObject } from "../kube/client";
import { Watcher } from "../kube/watch";
import type { Logger } from "../logger";
import { refKey } from "../manifest/ref";
import type { ObjectRef } from "../manifest/types";
import type { Destination } from "./destinations";
import { changedManagers, isDriftBy, type ManagedFieldsEntry } from "../apply/field-managers";
import { ownersOf } from "../apply/ownership";
import { MANAGED_BY_KEY, MANAGED_BY_VALUE } from "./markers";
import type { DriftTracker } from "./vidraresource-reconciler";

/**
 * One watch (a destination's clients and a resource type), the content it last saw, and who needs
 * it. Watches are per set of clients, not per server, so a watch never outlives the client it runs on
 * (a destination is closed once nobody holds it, or when its kubeconfig is rotated).
 */
interface WatchEntry {
  watcher: Watcher;
  ready: Promise<void>;
  dest: string;
  group: string;
  kind: string;
  /** Object id → hash of its content as last seen, so echoes and status-only updates are told apart. */
  hashes: Map<string, string>;
  /** Object id → who wrote it and when, as last seen (writerStamps), to tell who changed it. */
  managers: Map<string, ManagedFieldsEntry[]>;
  /** Owners with events on that track an object of this type on this destination. */
  users: Set<string>;
}

interface Tracked {
  dest: string;
  refs: Set<string>;
  /** Groups and kinds of `refs`, to tell which watches the owner needs. */
  types: Set<string>;
  enabled: boolean;
}

/** The parts of an object a person or controller can drift: everything but status and bookkeeping. */
function contentHash(o: KubeObject): string {
  const { status: _s, metadata, ...rest } = o;
  const { resourceVersion: _rv, managedFields: _mf, generation: _g, ...meta } = metadata ?? {};
  return createHash("sha1")
    .update(JSON.stringify({ ...rest, metadata: meta }))
    .digest("hex");
}

/**
 * What telling writers apart needs of an object's managed fields (changedManagers): each entry's
 * manager, operation, subresource and time, without the field paths it owns, which are most of an
 * entry's size and are kept for every object of every watch.
 */
export function writerStamps(
  entries: readonly ManagedFieldsEntry[] | undefined,
): ManagedFieldsEntry[] {
  return (entries ?? []).map(e => ({
    manager: e.manager,
    operation: e.operation,
    ...(e.subresource !== undefined ? { subresource: e.subresource } : {}),
    ...(e.time !== undefined ? { time: e.time } : {}),
  }));
}

const typeKey = (group: string, kind: string) => `${group}/${kind}`;

/**
 * Watches the objects VidraResources applied (one watch per destination and resource type, on the
 * managed-by=vidra label, local and remote clusters alike) and asks for a re-apply of the owners of
 * an object that was changed or deleted. Status-only updates and the echo of the operator's own
 * writes are ignored, so it never loops. Vidra's event mode missed edits to kinds without a
 * generation (ConfigMaps, Secrets) and covered only the local cluster; this covers both.
 *
 * Everything it keeps is bounded by what live owners track: a watch stops when no owner with events
 * on needs it (taking the content it remembered with it), and the resourceVersions of the
 * operator's own writes are kept only for tracked objects and dropped once their echo arrives.
 */
export class DriftWatch implements DriftTracker {
  private readonly watches = new Map<string, WatchEntry>();
  private readonly owners = new Map<string, Tracked>();
  /** `dest|ref` → resourceVersion of the operator's last write, until its echo arrives. */
  private readonly ownWrites = new Map<string, string>();
  /** `dest|ref` → how many owners with events on track it. */
  private readonly trackedIds = new Map<string, number>();

  constructor(
    private readonly opts: {
      onDrift: (owner: string, reason: string) => void;
      logger: Logger;
    },
  ) {}

  track(
    owner: string,
    dest: Destination,
    refs: ObjectRef[],
    writes: ChangeEntry[],
    enabled: boolean,
  ): void {
    const before = this.owners.get(owner);
    const tracked: Tracked = {
      dest: dest.id,
      refs: new Set(refs.map(refKey)),
      types: new Set(refs.map(r => typeKey(r.group, r.kind))),
      enabled,
    };
    // Count the new set before uncounting the old one, so objects the owner keeps keep their writes.
    if (enabled) {
      for (const k of tracked.refs) {
        const id = `${dest.id}|${k}`;
        this.trackedIds.set(id, (this.trackedIds.get(id) ?? 0) + 1);
      }
    }
    this.untrack(before);
    this.owners.set(owner, tracked);
    this.releaseWatches(owner, tracked);
    if (!enabled) return;
    for (const w of writes) {
      const id = `${dest.id}|${refKey(w.ref)}`;
      if (w.resourceVersion && this.trackedIds.has(id)) this.ownWrites.set(id, w.resourceVersion);
    }
    for (const ref of refs) void this.ensureWatch(dest, ref, owner);
  }

  forget(owner: string): void {
    this.untrack(this.owners.get(owner));
    this.owners.delete(owner);
    this.releaseWatches(owner, undefined);
  }

  /** Removes an owner's objects from the tracked set, and the own writes nobody tracks any more. */
  private untrack(t: Tracked | undefined): void {
    if (!t?.enabled) return;
    for (const k of t.refs) {
      const id = `${t.dest}|${k}`;
      const n = (this.trackedIds.get(id) ?? 0) - 1;
      if (n > 0) {
        this.trackedIds.set(id, n);
      } else {
        this.trackedIds.delete(id);
        this.ownWrites.delete(id);
      }
    }
  }

  /** Takes the owner off the watches it no longer needs; stops watches nobody needs. */
  private releaseWatches(owner: string, now: Tracked | undefined): void {
    for (const [key, w] of this.watches) {
      if (!w.users.has(owner)) continue;
      const needed = now?.enabled && now.dest === w.dest && now.types.has(typeKey(w.group, w.kind));
      if (needed) continue;
      w.users.delete(owner);
      if (w.users.size === 0) {
        this.watches.delete(key);
        void w.watcher.stop();
      }
    }
  }

  private async ensureWatch(dest: Destination, ref: ObjectRef, owner: string): Promise<void> {
    const info = await dest.mapper.resolve(ref.apiVersion, ref.kind).catch(() => undefined);
    if (!info || !info.verbs.includes("watch")) return;
    // The owner may have changed or gone while discovery answered.
    const t = this.owners.get(owner);
    if (!t?.enabled || t.dest !== dest.id || !t.types.has(typeKey(ref.group, ref.kind))) return;
    const key = `${dest.id}|${info.group}/${info.version}/${info.plural}`;
    const existing = this.watches.get(key);
    if (existing) {
      existing.users.add(owner);
      return;
    }
    const path = resourcePath({ group: info.group, version: info.version, plural: info.plural });
    const entry: WatchEntry = {
      dest: dest.id,
      group: ref.group,
      kind: ref.kind,
      hashes: new Map(),
      managers: new Map(),
      users: new Set([owner]),
      watcher: undefined as unknown as Watcher,
      ready: Promise.resolve(),
    };
    entry.watcher = new Watcher(dest.kube, path, {
      labelSelector: `${MANAGED_BY_KEY}=${MANAGED_BY_VALUE}`,
      logger: this.opts.logger,
      onEvent: (type, obj) => this.onEvent(entry, info.group, type, obj),
      // Remember the current content, so the first real change is told from the first echo.
      onInitialList: items => {
        for (const o of items) {
          const id = `${dest.id}|${refKey({ group: info.group, kind: o.kind ?? info.kind, namespace: o.metadata?.namespace, name: o.metadata?.name ?? "" })}`;
          entry.hashes.set(id, contentHash(o));
          entry.managers.set(id, writerStamps(o.metadata?.managedFields));
        }
      },
    });
    entry.ready = entry.watcher.start().then(
      () => undefined,
      err => {
        this.opts.logger.warn(
          { path, err: errorMessage(err) },
          "could not start a drift watch; periodic re-apply still repairs drift",
        );
        if (this.watches.get(key) === entry) this.watches.delete(key);
      },
    );
    this.watches.set(key, entry);
  }

  private onEvent(
    entry: WatchEntry,
    group: string,
    type: "ADDED" | "MODIFIED" | "DELETED",
    obj: KubeObject,
  ): void {
    const meta = obj.metadata ?? {};
    // LIST items carry no kind: the watch's own kind stands in.
    const ref = {
      group,
      kind: obj.kind ?? entry.kind,
      namespace: meta.namespace,
      name: meta.name ?? "",
    };
    const id = `${entry.dest}|${refKey(ref)}`;
    if (type !== "DELETED") {
      const hash = contentHash(obj);
      const before = entry.hashes.get(id);
      const managersBefore = entry.managers.get(id);
      entry.hashes.set(id, hash);
      entry.managers.set(id, writerStamps(meta.managedFields));
      if (type === "ADDED" || before === hash) return;
      if (this.ownWrites.get(id) === meta.resourceVersion) {
        this.ownWrites.delete(id);
        return;
      }
      // A controller doing its job (an HPA scaling) is not drift: the operator leaves its fields to it.
      if (managersBefore && !isDriftBy(changedManagers(managersBefore, meta.managedFields ?? [])))
        return;
    } else {
      entry.hashes.delete(id);
      entry.managers.delete(id);
      this.ownWrites.delete(id);
    }
    const key = refKey(ref);
    const listed = ownersOf(meta).owners;
    for (const [owner, t] of this.owners) {
      if (!t.enabled || t.dest !== entry.dest || !t.refs.has(key)) continue;
      if (listed.length && !listed.includes(owner) && type !== "DELETED") continue;
      this.opts.onDrift(
        owner,
        `${ref.kind}/${meta.namespace ? `${meta.namespace}/` : ""}${meta.name} was ${type === "DELETED" ? "deleted" : "changed"}`,
      );
    }
  }

  /** Number of open watches (for metrics and tests). */
  get size(): number {
    return this.watches.size;
  }

  /** What it keeps, for metrics and tests. */
  get entries(): { owners: number; ownWrites: number; trackedObjects: number; hashes: number } {
    let hashes = 0;
    for (const w of this.watches.values()) hashes += w.hashes.size;
    return {
      owners: this.owners.size,
      ownWrites: this.ownWrites.size,
      trackedObjects: this.trackedIds.size,
      hashes,
    };
  }

  async stop(): Promise<void> {
    await Promise.all([...this.watches.values()].map(w => w.watcher.stop()));
    this.watches.clear();
  }
}
