import { errorMessage } from "../errors";
import type { KubeObject } from "../kube/client";
import type { Logger } from "../logger";

/** What a watch's DELETED event turned out to mean. */
export type DeletionVerdict =
  /** That object (its uid) is gone: forget it. */
  | { kind: "gone" }
  /** It still exists: a false deletion; keep everything, its work included. */
  | { kind: "present"; current: KubeObject }
  /** It is gone, and another object of the same name exists now (a new uid). */
  | { kind: "replaced"; current: KubeObject }
  /** The API server could not say: keep everything; the reconcile reads it again (with retries). */
  | { kind: "unknown" };

/**
 * Checks a watch's DELETED event with a GET before anything is forgotten. Pepr's watch
 * (kubernetes-fluent-client 3.11.6) reports objects that still exist as deleted: its periodic
 * relist (every PEPR_RELIST_INTERVAL_SECONDS) copies its cache after the LIST has been answered and
 * reports every cached object the LIST lacks as DELETED, so an object created while the LIST was on
 * its way (seconds, with thousands of objects on a busy API server) is "deleted" and dropped from
 * that cache. Forgetting it then lost its queued reconcile, and nothing brought it back until the
 * next relist, ten minutes later. Deletions are rare; one GET each is cheap.
 */
export class DeletionCheck {
  constructor(
    private readonly kube: { getOptional<T = KubeObject>(path: string): Promise<T | undefined> },
    private readonly log: Logger,
  ) {}

  async check(path: string, deleted: KubeObject): Promise<DeletionVerdict> {
    let current: KubeObject | undefined;
    try {
      current = await this.kube.getOptional<KubeObject>(path);
    } catch (err) {
      this.log.warn(
        { path, err: errorMessage(err) },
        "could not check a watch's deletion event; keeping the object's work",
      );
      return { kind: "unknown" };
    }
    if (!current) return { kind: "gone" };
    const uid = deleted.metadata?.uid;
    if (uid && current.metadata?.uid && current.metadata.uid !== uid)
      return { kind: "replaced", current };
    this.log.info(
      { path },
      "the watch reported a deletion of an object that still exists (a relist race); kept",
    );
    return { kind: "present", current };
  }
}
