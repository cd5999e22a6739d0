import type { KubeObject } from "../kube/client";
import type { ArtifactEvent } from "../push/artifact-event";
import type { WebhookSource } from "../push/webhook-keys";
import { SYNC_LABEL } from "../sync/markers";
import type { ConfigMapLike } from "../sync/operator-config";
import {
  infrahubSyncPath,
  vidraResourcePath,
  type InfrahubSyncObject,
  type VidraResourceObject,
} from "../sync/resources";
import type { OperatorParts } from "./assembly";
import { addressOf, type KnownObjects, type WatchedObject } from "./known-objects";

/**
 * Where each watch event goes: an InfrahubSync's or VidraResource's change into the caches, the
 * push index and (only when it changes what a reconcile acts on, and only on the leader) its work
 * queue; a deletion, once confirmed, out of all of them; an operator ConfigMap into the live
 * configuration; a verified Infrahub webhook event to the syncs it concerns. It exists apart from
 * the assembly and from leadership because these rules (what a standby still keeps, what a shard
 * drops, when a deletion is believed) are the operator's filter against needless work and false
 * deletions, and read best on their own.
 */

/** Pepr passes KFC's WatchPhase enum, whose values are these strings. */
export type WatchPhase = "ADDED" | "MODIFIED" | "DELETED" | string;

export type WatchEventParts = Pick<
  OperatorParts,
  | "caches"
  | "config"
  | "deletions"
  | "destinations"
  | "drift"
  | "metrics"
  | "pushIndex"
  | "resources"
  | "shard"
  | "syncReconciler"
  | "syncs"
>;

export interface WatchEventDeps {
  parts: WatchEventParts;
  known: KnownObjects;
  /** Whether this replica acts now (a standby keeps what it needs to take over, queues nothing). */
  isLeading: () => boolean;
  /** Delay between a webhook event and the fetch it triggers, so a burst makes one fetch. */
  pushDebounceMs: number;
  /**
   * Where an object that replaced a deleted one of the same name is taken up: the operator's own
   * handlers, which the capability may have wrapped (held until the CRDs are installed).
   */
  again: {
    onInfrahubSync: (obj: WatchedObject, phase: WatchPhase) => void;
    onVidraResource: (obj: WatchedObject, phase: WatchPhase) => void;
  };
}

/**
 * A sync this shard owns, as a watch event or the new leader's list shows it: kept in the push
 * index and the address lanes (a standby needs both to take over), and on the leader in the
 * per-sync series. Returns whether it changed what a reconcile acts on; a standby records no
 * signatures (the new leader reconciles everything anyway), so it always says no.
 */
export function takeInSync(
  parts: Pick<OperatorParts, "config" | "metrics" | "pushIndex">,
  known: KnownObjects,
  obj: WatchedObject,
  leading: boolean,
): boolean {
  parts.pushIndex.update(obj as InfrahubSyncObject);
  known.addresses.set(obj.metadata?.name ?? "", addressOf(obj.spec));
  if (!leading) return false;
  parts.metrics.syncSeries.observe(obj, parts.config.get().requeueSyncAfterMs);
  return known.changed("sync", obj);
}

export class WatchEvents {
  constructor(private readonly deps: WatchEventDeps) {}

  onInfrahubSync(obj: WatchedObject, phase: WatchPhase): void {
    const { parts, known } = this.deps;
    const name = obj.metadata?.name;
    if (!name) return;
    if (phase === "DELETED")
      return this.afterDeletion(infrahubSyncPath(name), obj, {
        gone: () => {
          parts.caches.syncs.observe(phase, obj as InfrahubSyncObject);
          this.dropSync(name, obj);
        },
        again: current => this.deps.again.onInfrahubSync(current, "ADDED"),
        unknown: () => this.deps.isLeading() && parts.syncs.add(name),
      });
    parts.caches.syncs.observe(phase, obj as InfrahubSyncObject);
    // Moved to another shard: that shard's watcher takes it from here.
    if (!parts.shard.owns(obj.metadata?.labels)) return this.dropSync(name, obj);
    if (takeInSync(parts, known, obj, this.deps.isLeading())) parts.syncs.add(name);
  }

  private dropSync(name: string, obj: WatchedObject): void {
    const { parts, known } = this.deps;
    parts.metrics.syncSeries.remove(name);
    parts.caches.secrets.release(name);
    parts.pushIndex.remove(name);
    known.seen.delete(`sync/${name}`);
    known.addresses.delete(name);
    parts.syncs.remove(name);
    if (obj.metadata?.uid) parts.syncReconciler.forget(obj.metadata.uid, name);
    else parts.syncReconciler.polls.forget(name);
  }

  /**
   * A watch's DELETED event, checked first (see DeletionCheck): only an object really gone is
   * forgotten; one replaced by a new object of the same name is forgotten and the new one taken up.
   */
  private afterDeletion(
    path: string,
    obj: WatchedObject,
    then: { gone: () => void; again: (current: WatchedObject) => void; unknown: () => void },
  ): void {
    void this.deps.parts.deletions.check(path, obj as KubeObject).then(verdict => {
      if (verdict.kind === "gone" || verdict.kind === "replaced") then.gone();
      if (verdict.kind === "replaced") then.again(verdict.current);
      if (verdict.kind === "unknown") then.unknown();
    });
  }

  /**
   * An Infrahub webhook event, already verified: every sync it may concern fetches after the
   * debounce delay, through the normal path (lookup, checksum, download, verify, apply). Returns
   * how many syncs were queued; never waits for them.
   */
  onInfrahubEvent(source: WebhookSource, event: ArtifactEvent, receivedAt: Date): number {
    const { parts } = this.deps;
    if (!this.deps.isLeading()) return 0;
    const names = parts.pushIndex.match(source.address, event, receivedAt);
    for (const name of names) {
      parts.syncReconciler.push(name, {
        eventId: event.id,
        event: event.type,
        artifactId: event.artifactId,
        receivedAt,
      });
      parts.syncs.addAfter(name, this.deps.pushDebounceMs);
    }
    parts.metrics.webhookTriggers.inc(names.length);
    return names.length;
  }

  onVidraResource(obj: WatchedObject, phase: WatchPhase): void {
    const { parts, known } = this.deps;
    const name = obj.metadata?.name;
    if (!name) return;
    const owned = parts.shard.owns(obj.metadata?.labels);
    // A deletion leaves the cache only once confirmed: the sync would take a VidraResource missing
    // from it for one that is gone.
    if (phase !== "DELETED") parts.caches.resources.observe(phase, obj as VidraResourceObject);
    // The owning sync aggregates the readiness of its VidraResources.
    const owner = obj.metadata?.labels?.[SYNC_LABEL];
    if (owner && owned && this.deps.isLeading()) {
      parts.syncReconciler.wantReadiness(owner);
      parts.syncs.add(owner);
    }
    if (phase === "DELETED")
      return this.afterDeletion(vidraResourcePath(name), obj, {
        gone: () => {
          parts.caches.resources.observe(phase, obj as VidraResourceObject);
          this.dropResource(name);
          // The sync's readiness counted it until now.
          if (owner && owned && this.deps.isLeading()) parts.syncs.add(owner);
        },
        again: current => this.deps.again.onVidraResource(current, "ADDED"),
        unknown: () => this.deps.isLeading() && parts.resources.add(name),
      });
    if (!owned) return this.dropResource(name);
    if (this.deps.isLeading() && known.changed("vr", obj)) parts.resources.add(name);
  }

  private dropResource(name: string): void {
    const { parts, known } = this.deps;
    known.seen.delete(`vr/${name}`);
    parts.resources.remove(name);
    parts.drift.forget(name);
    parts.destinations.release(name);
  }

  onConfigMap(cm: ConfigMapLike, phase: WatchPhase): void {
    if (phase === "DELETED") this.deps.parts.config.remove(cm);
    else this.deps.parts.config.upsert(cm);
  }
}
