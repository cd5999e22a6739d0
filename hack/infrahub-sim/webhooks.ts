/**
 * Outgoing webhooks, sent the way infrahub-server 1.11.9 sends them (infrahub/webhook/models.py,
 * webhook/tasks/process.py, webhook/constants.py): for CoreStandardWebhook / CoreCustomWebhook
 * objects configured here, every matching event is POSTed as
 * `{"data", "id", "branch", "account_id", "occured_at", "event"}` with `Accept` and `Content-Type:
 * application/json` and, when a shared key is set, the Standard Webhooks headers. As in Infrahub,
 * the signature covers Python's `json.dumps(payload, separators=(",", ":"))` (non-ASCII escaped as
 * \uXXXX) while the body on the wire is the same JSON in UTF-8; each attempt has a new webhook-id
 * and timestamp; a delivery that gets no 2xx is retried 3 times 120 s apart (configurable here).
 * Certificates are not checked unless `validateCertificates` is true (Infrahub: None → False).
 */
import { createHmac, randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { SimError } from "./sim-error";

export const WEBHOOK_EVENT_TYPES = [
  "all",
  "infrahub.artifact.created",
  "infrahub.artifact.updated",
] as const;
export type BranchScope = "all_branches" | "default_branch" | "other_branches";

/** A CoreStandardWebhook (or a CoreCustomWebhook without a transform), as far as sending goes. */
export interface SimWebhook {
  name: string;
  url: string;
  /** The `shared_key`; without one, requests are not signed (possible with a CoreCustomWebhook). */
  sharedKey?: string;
  /** `all` (Infrahub's default) or one event name. */
  eventType?: string;
  /** Infrahub's default is `default_branch`. */
  branchScope?: BranchScope;
  /** Only events about nodes of this kind (artifacts: `CoreArtifact`), with `all` too. */
  nodeKind?: string;
  validateCertificates?: boolean;
  /** PEM CA bundle trusted when validating (Infrahub: INFRAHUB_HTTP_TLS_CA_BUNDLE). */
  caPem?: string;
  active?: boolean;
  /** Extra static headers (Infrahub's `headers` relationship). */
  headers?: Record<string, string>;
}

export interface WebhookDeliveryOptions {
  /** Retries after the first attempt (Infrahub: 3). */
  retries: number;
  /** Pause between attempts (Infrahub: 120 s). */
  retryDelayMs: number;
  /** Pause between the event and the first attempt (Infrahub: the time its workers take). */
  delayMs: number;
  /** Per-attempt timeout (Infrahub: INFRAHUB_HTTP_TIMEOUT, 10 s). */
  timeoutMs: number;
}

export const INFRAHUB_DELIVERY: WebhookDeliveryOptions = {
  retries: 3,
  retryDelayMs: 120_000,
  delayMs: 0,
  timeoutMs: 10_000,
};

export interface SimEvent {
  type: string;
  branch: string | null;
  /** The node the event is about, for node_kind filters. */
  nodeKind: string;
  data: Record<string, unknown>;
}

export interface WebhookDelivery {
  webhook: string;
  eventId: string;
  event: string;
  attempt: number;
  webhookId: string | null;
  /** HTTP status, or 0 when the request failed (the error says why). */
  status: number;
  error?: string;
  at: string;
}

const MAX_LOG = 1000;

/** Python's `json.dumps(..., separators=(",", ":"))` with its default ensure_ascii. */
export function pythonCompactJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    c => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** The Standard Webhooks headers Infrahub adds for a shared key. */
export function infrahubSignatureHeaders(
  sharedKey: string,
  payload: unknown,
  nowMs = Date.now(),
): Record<string, string> {
  const id = `msg_${randomUUID().replace(/-/g, "")}`;
  const timestamp = String(Math.floor(nowMs / 1000));
  const mac = createHmac("sha256", Buffer.from(sharedKey, "utf8"))
    .update(`${id}.${timestamp}.${pythonCompactJson(payload)}`, "utf8")
    .digest("base64");
  return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": `v1,${mac}` };
}

/**
 * `str()` of the event's UTC time, as Infrahub renders `{{ event.occurred }}` into `occured_at`:
 * Python's `datetime.__str__`, a space between date and time (not ISO's `T`), microseconds only
 * when there are any. Seen on a real 1.11.9: `2026-12-04 21:27:39.649912+00:00`.
 */
export function infrahubOccurredAt(ms: number): string {
  const iso = new Date(ms).toISOString();
  const fraction = iso.slice(20, 23) === "000" ? "" : `.${iso.slice(20, 23)}000`;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction}+00:00`;
}

export class WebhookSender {
  private readonly hooks = new Map<string, SimWebhook>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inflight = new Set<() => void>();
  private readonly log: WebhookDelivery[] = [];
  private delivery: WebhookDeliveryOptions = { ...INFRAHUB_DELIVERY };
  private stopped = false;

  constructor(private readonly defaultBranch = "main") {}

  configure(hook: SimWebhook): SimWebhook {
    if (!hook || typeof hook.name !== "string" || !hook.name)
      throw new SimError("a webhook needs a name");
    try {
      const u = new URL(hook.url);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
    } catch {
      throw new SimError(`webhook ${hook.name}: url must be an http(s) URL`);
    }
    if (hook.eventType && !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(hook.eventType))
      throw new SimError(
        `webhook ${hook.name}: eventType must be one of ${WEBHOOK_EVENT_TYPES.join(", ")}`,
      );
    if (
      hook.branchScope &&
      !["all_branches", "default_branch", "other_branches"].includes(hook.branchScope)
    )
      throw new SimError(
        `webhook ${hook.name}: branchScope must be all_branches, default_branch or other_branches`,
      );
    this.hooks.set(hook.name, { ...hook });
    return this.describe(hook);
  }

  remove(name: string): void {
    if (!this.hooks.delete(name)) throw new SimError(`no webhook named ${name}`, 404);
  }

  /** The configured webhooks, shared keys masked. */
  list(): SimWebhook[] {
    return [...this.hooks.values()].map(h => this.describe(h));
  }

  setDelivery(options: Partial<WebhookDeliveryOptions>): WebhookDeliveryOptions {
    const next = { ...this.delivery };
    for (const key of Object.keys(INFRAHUB_DELIVERY) as Array<keyof WebhookDeliveryOptions>) {
      const v = options[key];
      if (v === undefined) continue;
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
        throw new SimError(`${key} must be a number ≥ 0`);
      next[key] = v;
    }
    this.delivery = next;
    return { ...next };
  }

  deliveryOptions(): WebhookDeliveryOptions {
    return { ...this.delivery };
  }

  /** Oldest first, the last 1000 attempts. */
  deliveries(): WebhookDelivery[] {
    return [...this.log];
  }

  clearDeliveries(): void {
    this.log.length = 0;
  }

  /** Sends the event to every active webhook whose filters match; returns at once. */
  emit(event: SimEvent): void {
    if (this.stopped) return;
    const id = randomUUID();
    const payload = {
      data: event.data,
      id,
      branch: event.branch,
      account_id: null,
      occured_at: infrahubOccurredAt(Date.now()),
      event: event.type,
    };
    for (const hook of this.hooks.values()) {
      if (!this.matches(hook, event)) continue;
      this.later(this.delivery.delayMs, () => void this.attempt(hook.name, payload, 1));
    }
  }

  /** Cancels pending attempts and aborts those in flight. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const abort of this.inflight) abort();
  }

  private describe(h: SimWebhook): SimWebhook {
    const { caPem, sharedKey, ...rest } = h;
    return {
      ...rest,
      ...(sharedKey ? { sharedKey: "***" } : {}),
      ...(caPem ? { caPem: "(set)" } : {}),
    };
  }

  private matches(h: SimWebhook, e: SimEvent): boolean {
    if (h.active === false) return false;
    const type = h.eventType ?? "all";
    if (type !== "all" && type !== e.type) return false;
    const scope = h.branchScope ?? "default_branch";
    if (scope === "default_branch" && e.branch !== this.defaultBranch) return false;
    if (scope === "other_branches" && (e.branch === null || e.branch === this.defaultBranch))
      return false;
    // Infrahub filters on node_kind for `all` and for every node event (the artifact events are
    // such), matching the kind of the node the event is about (webhook/models.py,
    // get_all_infrahub_node_kind_events; seen on a real 1.11.9 in tests/real-infrahub/webhook.test.ts).
    if (h.nodeKind && h.nodeKind !== e.nodeKind) return false;
    return true;
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  private async attempt(name: string, payload: Record<string, unknown>, attempt: number) {
    // The webhook is read again on every attempt, as Infrahub does (a changed key applies at once).
    const hook = this.hooks.get(name);
    if (!hook || this.stopped) return;
    const headers: Record<string, string> = {
      Accept: "application/json",
      "Content-Type": "application/json",
      ...hook.headers,
      ...(hook.sharedKey ? infrahubSignatureHeaders(hook.sharedKey, payload) : {}),
    };
    const body = Buffer.from(JSON.stringify(payload), "utf8");
    const record: WebhookDelivery = {
      webhook: name,
      eventId: String(payload.id),
      event: String(payload.event),
      attempt,
      webhookId: headers["webhook-id"] ?? null,
      status: 0,
      at: new Date().toISOString(),
    };
    try {
      record.status = await this.post(hook, headers, body);
    } catch (err) {
      record.error = err instanceof Error ? err.message : String(err);
    }
    this.log.push(record);
    if (this.log.length > MAX_LOG) this.log.shift();
    const delivered = record.status >= 200 && record.status < 300;
    if (!delivered && attempt <= this.delivery.retries)
      this.later(this.delivery.retryDelayMs, () => void this.attempt(name, payload, attempt + 1));
  }

  private post(hook: SimWebhook, headers: Record<string, string>, body: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      const url = new URL(hook.url);
      const send = url.protocol === "https:" ? httpsRequest : httpRequest;
      const req = send(
        url,
        {
          method: "POST",
          headers: { ...headers, "Content-Length": String(body.length) },
          timeout: this.delivery.timeoutMs,
          agent: false,
          ...(url.protocol === "https:"
            ? { rejectUnauthorized: hook.validateCertificates === true, ca: hook.caPem }
            : {}),
        },
        res => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
          res.on("error", reject);
        },
      );
      const abort = () => req.destroy(new Error("simulator stopped"));
      this.inflight.add(abort);
      req.on("close", () => this.inflight.delete(abort));
      req.on("timeout", () =>
        req.destroy(new Error(`timeout after ${this.delivery.timeoutMs} ms`)),
      );
      req.on("error", reject);
      req.end(body);
    });
  }
}
