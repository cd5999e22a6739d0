import { normaliseAddress } from "../infrahub";
import { SYNC_NOW_ANNOTATION } from "../sync/markers";

/**
 * What the operator remembers of the InfrahubSyncs and VidraResources its watch events showed: the
 * last signature of each (so that only an event that changes what a reconcile acts on queues work,
 * never the operator's own status writes), and each sync's Infrahub address (its bulkhead in the
 * sync queue). It exists apart because every other part of the operator reads it: the watch
 * events fill it, leadership clears and refills it, the requeue triggers walk its keys, and the
 * assembled queues and metrics read it.
 */

export interface WatchedObject {
  spec?: unknown;
  metadata?: {
    name?: string;
    uid?: string;
    generation?: number;
    deletionTimestamp?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  };
}

export class KnownObjects {
  /** The last signature seen per key: `sync/<name>` and `vr/<name>`. */
  readonly seen = new Map<string, string>();
  /** The Infrahub address of each sync: its bulkhead in the sync queue. */
  readonly addresses = new Map<string, string>();

  keysOf(prefix: string): string[] {
    return [...this.seen.keys()]
      .filter(k => k.startsWith(`${prefix}/`))
      .map(k => k.slice(prefix.length + 1));
  }

  /** True when the event changes something a reconcile acts on (not just status). */
  changed(prefix: string, obj: WatchedObject): boolean {
    const m = obj.metadata ?? {};
    const signature = [
      m.uid,
      m.generation,
      m.deletionTimestamp ?? "",
      m.annotations?.[SYNC_NOW_ANNOTATION] ?? "",
    ].join("|");
    const key = `${prefix}/${m.name}`;
    if (this.seen.get(key) === signature) return false;
    this.seen.set(key, signature);
    return true;
  }
}

/** A sync's bulkhead: its normalised Infrahub address ("" when unusable, so it fails on its own). */
export function addressOf(spec: unknown): string {
  const url = (spec as { source?: { infrahubAPIURL?: unknown } } | undefined)?.source
    ?.infrahubAPIURL;
  if (typeof url !== "string") return "";
  try {
    return normaliseAddress(url);
  } catch {
    return "";
  }
}
