import { randomBytes } from "node:crypto";
import { errorMessage } from "../errors";
import { nullLogger, type Logger } from "../logger";
import type { KubeClient } from "../kube/client";

export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  name: string;
  uid?: string;
  namespace?: string;
}

export type EventType = "Normal" | "Warning";

/** Where to put Events about cluster-scoped objects: client-go's recorder uses "default" too. */
const CLUSTER_SCOPED_EVENT_NAMESPACE = "default";
const MAX_MESSAGE = 1024;
const AGGREGATE_WINDOW_MS = 10 * 60_000;
/** Distinct messages of one (object, type, reason) in the window before they are combined. */
const MAX_SIMILAR = 10;
const MAX_TRACKED = 2000;
const COMBINED_PREFIX = "(combined from similar events): ";

/**
 * Writes core/v1 Events, folding repeats of the same (object, reason, message) within ten minutes
 * into one Event with a growing count, as kubectl shows them. Like client-go's EventCorrelator, a
 * reason that keeps producing new messages for one object (more than ten in ten minutes) is
 * combined into one Event carrying the latest message, so no message that varies (a time, a
 * count) can flood the namespace. Never throws: an Event is worth less than the reconcile that
 * produced it.
 */
export class EventRecorder {
  private readonly recent = new Map<
    string,
    { name: string; namespace: string; count: number; first: string; at: number; text: string }
  >();
  /** Distinct messages seen per (object, type, reason), and when it last recorded one. */
  private readonly similar = new Map<string, { at: number; messages: Set<string> }>();

  constructor(
    private readonly kube: KubeClient,
    private readonly component: string,
    private readonly logger: Logger = nullLogger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async record(
    obj: InvolvedObject,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    const now = this.now();
    const namespace = obj.namespace ?? CLUSTER_SCOPED_EVENT_NAMESPACE;
    const similarKey = `${obj.uid ?? obj.name}\u0000${type}\u0000${reason}`;
    const combined = this.combine(similarKey, message, now.getTime());
    const full = combined ? `${COMBINED_PREFIX}${message}` : message;
    const text = full.length > MAX_MESSAGE ? `${full.slice(0, MAX_MESSAGE - 1)}…` : full;
    const key = combined ? `${similarKey}\u0000*` : `${similarKey}\u0000${text}`;
    const seen = this.recent.get(key);
    try {
      if (seen && now.getTime() - seen.at < AGGREGATE_WINDOW_MS) {
        seen.count++;
        seen.at = now.getTime();
        await this.kube.mergePatch(`/api/v1/namespaces/${namespace}/events/${seen.name}`, {
          count: seen.count,
          lastTimestamp: now.toISOString(),
          ...(seen.text === text ? {} : { message: text }),
        });
        seen.text = text;
        return;
      }
      const name = `${obj.name.slice(0, 200)}.${randomBytes(8).toString("hex")}`;
      await this.kube.create(`/api/v1/namespaces/${namespace}/events`, {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: obj.name,
          uid: obj.uid,
          namespace: obj.namespace,
        },
        type,
        reason,
        message: text,
        count: 1,
        firstTimestamp: now.toISOString(),
        lastTimestamp: now.toISOString(),
        source: { component: this.component },
        reportingComponent: this.component,
        reportingInstance: this.component,
      });
      if (this.recent.size >= MAX_TRACKED)
        this.recent.delete(this.recent.keys().next().value as string);
      this.recent.set(key, {
        name,
        namespace,
        count: 1,
        first: now.toISOString(),
        at: now.getTime(),
        text,
      });
    } catch (err) {
      // The Event may have expired (TTL) between two occurrences: start a new one next time.
      this.recent.delete(key);
      this.logger.warn(
        { err: errorMessage(err), reason, object: obj.name },
        "could not record an Event",
      );
    }
  }

  /**
   * Whether `message` joins the combined Event of its (object, type, reason). The count starts
   * again only after ten quiet minutes, so a long run of varying messages stays combined.
   */
  private combine(similarKey: string, message: string, now: number): boolean {
    let seen = this.similar.get(similarKey);
    if (!seen || now - seen.at >= AGGREGATE_WINDOW_MS) {
      if (this.similar.size >= MAX_TRACKED)
        this.similar.delete(this.similar.keys().next().value as string);
      seen = { at: now, messages: new Set() };
      this.similar.set(similarKey, seen);
    }
    seen.at = now;
    if (seen.messages.has(message)) return false;
    if (seen.messages.size >= MAX_SIMILAR) return true;
    seen.messages.add(message);
    return false;
  }
}
