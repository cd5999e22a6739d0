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

interface WatchEntry {
  watcher: Watcher;
  ready: Promise<void>;
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
 * Watches the objects VidraResources applied (one watch per destination and resource type, on the
 * managed-by=vidra label, local and remote clusters alike) and asks for a re-apply of the owners of
 * an object that was changed or deleted. Status-only updates and the echo of the operator's own
 * writes are ignored, so it never loops. Vidra's event mode missed edits to kinds without a
 * generation (ConfigMaps, Secrets) and covered only the local cluster; this covers both.
 */
export class DriftWatch implements DriftTracker {
  private readonly watches = new Map<string, WatchEntry>();
  /** owner → destination key, tracked refs, and whether events are on. */
  private readonly owners = new Map<
    string,
    { dest: string; refs: Set<string>; enabled: boolean }
  >();
  private readonly hashes = new Map<string, string>();
  /** The managed-fields entries last seen per object, to tell who changed it. */
  private readonly managers = new Map<string, ManagedFieldsEntry[]>();
  private readonly ownWrites = new Map<string, string>();

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
    for (const w of writes)
      if (w.resourceVersion) this.ownWrites.set(`${dest.key}|${refKey(w.ref)}`, w.resourceVersion);
    this.owners.set(owner, { dest: dest.key, refs: new Set(refs.map(refKey)), enabled });
    if (!enabled) return;
    for (const ref of refs) void this.ensureWatch(dest, ref);
  }

  forget(owner: string): void {
    this.owners.delete(owner);
  }

  private async ensureWatch(dest: Destination, ref: ObjectRef): Promise<void> {
    const info = await dest.mapper.resolve(ref.apiVersion, ref.kind).catch(() => undefined);
    if (!info || !info.verbs.includes("watch")) return;
    const key = `${dest.key}|${info.group}/${info.version}/${info.plural}`;
    if (this.watches.has(key)) return;
    const path = resourcePath({ group: info.group, version: info.version, plural: info.plural });
    const watcher = new Watcher(dest.kube, path, {
      labelSelector: `${MANAGED_BY_KEY}=${MANAGED_BY_VALUE}`,
      logger: this.opts.logger,
      onEvent: (type, obj) => this.onEvent(dest.key, info.group, type, obj),
    });
    const ready = watcher.start().then(
      () => {
        // Remember the current content, so the first real change is told from the first echo.
        for (const o of watcher.snapshot()) {
          const id = `${dest.key}|${refKey({ group: info.group, kind: o.kind ?? info.kind, namespace: o.metadata?.namespace, name: o.metadata?.name ?? "" })}`;
          this.hashes.set(id, contentHash(o));
          this.managers.set(id, o.metadata?.managedFields ?? []);
        }
      },
      err => {
        this.opts.logger.warn(
          { path, err: errorMessage(err) },
          "could not start a drift watch; periodic re-apply still repairs drift",
        );
        this.watches.delete(key);
      },
    );
    this.watches.set(key, { watcher, ready });
  }

  private onEvent(
    destKey: string,
    group: string,
    type: "ADDED" | "MODIFIED" | "DELETED",
    obj: KubeObject,
  ): void {
    const meta = obj.metadata ?? {};
    const ref = { group, kind: obj.kind ?? "", namespace: meta.namespace, name: meta.name ?? "" };
    const id = `${destKey}|${refKey(ref)}`;
    if (type !== "DELETED") {
      const hash = contentHash(obj);
      const before = this.hashes.get(id);
      const managersBefore = this.managers.get(id);
      this.hashes.set(id, hash);
      this.managers.set(id, meta.managedFields ?? []);
      if (type === "ADDED" || before === hash) return;
      if (this.ownWrites.get(id) === meta.resourceVersion) return;
      // A controller doing its job (an HPA scaling) is not drift: the operator leaves its fields to it.
      if (managersBefore && !isDriftBy(changedManagers(managersBefore, meta.managedFields ?? [])))
        return;
    } else {
      this.hashes.delete(id);
      this.managers.delete(id);
    }
    const key = refKey(ref);
    const listed = ownersOf(meta).owners;
    for (const [owner, t] of this.owners) {
      if (!t.enabled || t.dest !== destKey || !t.refs.has(key)) continue;
      if (listed.length && !listed.includes(owner) && type !== "DELETED") continue;
      this.opts.onDrift(
        owner,
        `${obj.kind}/${meta.namespace ? `${meta.namespace}/` : ""}${meta.name} was ${type === "DELETED" ? "deleted" : "changed"}`,
      );
    }
  }

  /** Number of open watches (for metrics and tests). */
  get size(): number {
    return this.watches.size;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.watches.values()].map(w => w.watcher.stop()));
    this.watches.clear();
  }
}
