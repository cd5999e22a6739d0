import { errorMessage } from "../errors";
import { normaliseAddress } from "../infrahub/redact";
import type { KubeClient, KubeObject } from "../kube/client";
import { Watcher } from "../kube/watch";
import { nullLogger, type Logger } from "../logger";
import { GROUP } from "../sync/markers";

/**
 * Webhook keys live in Secrets, one per Infrahub instance, in one namespace (the operator's):
 *
 *   labels:  infrahub.operators.com/webhook-key: ""   (any value)
 *   data:    infrahubAPIURL     the Infrahub address, as InfrahubSyncs write it in spec.source
 *            sharedKey          the shared_key of the CoreStandardWebhook / CoreCustomWebhook
 *            previousSharedKey  optional: still accepted while a new key is rolled out
 *
 * Infrahub posts to /webhooks/infrahub/<Secret name>; the Secret says which address the event
 * is about, so an event can only ever trigger syncs of the Infrahub that holds its key.
 */
export const WEBHOOK_KEY_LABEL = `${GROUP}/webhook-key`;
export const WEBHOOK_SECRET_KEYS = {
  address: "infrahubAPIURL",
  key: "sharedKey",
  previousKey: "previousSharedKey",
} as const;

export interface WebhookSource {
  /** The Secret's name: the last segment of the receiver URL. */
  name: string;
  /** Normalised Infrahub address (see normaliseAddress). */
  address: string;
  keys: Buffer[];
}

interface SecretLike {
  metadata?: { name?: string; namespace?: string };
  data?: Record<string, string>;
}

/** A labelled Secret as a source, or why it cannot be one (said in the log, never the values). */
export function sourceFromSecret(secret: SecretLike): WebhookSource | string {
  const name = secret.metadata?.name ?? "";
  const data = secret.data ?? {};
  const text = (key: string) =>
    data[key] === undefined ? undefined : Buffer.from(data[key], "base64").toString("utf8").trim();
  const url = text(WEBHOOK_SECRET_KEYS.address);
  const key = text(WEBHOOK_SECRET_KEYS.key);
  if (!url) return `Secret ${name} has no data key ${WEBHOOK_SECRET_KEYS.address}`;
  if (!key) return `Secret ${name} has no data key ${WEBHOOK_SECRET_KEYS.key} (or it is empty)`;
  let address: string;
  try {
    address = normaliseAddress(url);
  } catch (err) {
    return `Secret ${name}: ${WEBHOOK_SECRET_KEYS.address}: ${errorMessage(err)}`;
  }
  const previous = text(WEBHOOK_SECRET_KEYS.previousKey);
  return {
    name,
    address,
    keys: [key, ...(previous ? [previous] : [])].map(k => Buffer.from(k, "utf8")),
  };
}

/** The sources by name, kept current by a watch on the labelled Secrets of one namespace. */
export class WebhookKeyStore {
  private readonly sources = new Map<string, WebhookSource>();
  private watcher: Watcher | undefined;

  constructor(private readonly logger: Logger = nullLogger) {}

  get(name: string): WebhookSource | undefined {
    return this.sources.get(name);
  }

  get size(): number {
    return this.sources.size;
  }

  upsert(secret: SecretLike): void {
    const name = secret.metadata?.name;
    if (!name) return;
    const source = sourceFromSecret(secret);
    if (typeof source === "string") {
      this.sources.delete(name);
      this.logger.warn({ secret: name }, `webhook key not usable: ${source}`);
      return;
    }
    const known = this.sources.has(name);
    this.sources.set(name, source);
    if (!known)
      this.logger.info(
        { secret: name, address: source.address, keys: source.keys.length },
        "webhook key loaded",
      );
  }

  remove(secret: SecretLike): void {
    const name = secret.metadata?.name;
    if (name && this.sources.delete(name))
      this.logger.info({ secret: name }, "webhook key removed");
  }

  /** Lists and watches the labelled Secrets of `namespace`; resolves after the first list. */
  async watch(kube: KubeClient, namespace: string): Promise<void> {
    this.watcher = new Watcher(
      kube,
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`,
      {
        labelSelector: WEBHOOK_KEY_LABEL,
        emitInitial: true,
        logger: this.logger,
        onEvent: (type, obj: KubeObject) =>
          type === "DELETED" ? this.remove(obj as SecretLike) : this.upsert(obj as SecretLike),
      },
    );
    await this.watcher.start();
  }

  async stop(): Promise<void> {
    await this.watcher?.stop();
  }
}
