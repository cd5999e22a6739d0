import { readFileSync } from "node:fs";
import { errorMessage } from "../errors";
import type { KubeClient } from "../kube/client";
import type { Logger } from "../logger";
import type { OperatorMetrics } from "../metrics";
import type { ArtifactEvent } from "./artifact-event";
import type { PushConfig } from "./push-config";
import { WebhookReceiver, WEBHOOK_PATH_PREFIX } from "./receiver";
import { WebhookKeyStore, type WebhookSource } from "./webhook-keys";

export interface PushReceiverDeps {
  config: PushConfig;
  kube: KubeClient;
  metrics: OperatorMetrics;
  logger: Logger;
  /** The module's TLS pair (Pepr's SSL_CERT_PATH / SSL_KEY_PATH, /etc/certs in the pod). */
  certPath: string;
  keyPath: string;
  dispatch(source: WebhookSource, event: ArtifactEvent, receivedAt: Date): number;
  /** Why this replica takes no events (a standby), or undefined (see ReceiverDeps.standby). */
  standby?(): string | undefined;
}

export interface RunningPushReceiver {
  /** Base URL; Infrahub posts to `${url}/webhooks/infrahub/<Secret name>`. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the webhook receiver of the watcher: the key Secrets' watch, then the listener. The
 * listener opens even while the Secrets cannot be listed yet (the watch keeps retrying); until
 * then every request is refused as coming from an unknown source, and polling carries on.
 */
export async function startPushReceiver(deps: PushReceiverDeps): Promise<RunningPushReceiver> {
  const { config, logger } = deps;
  const keys = new WebhookKeyStore(logger.child({ component: "webhook-keys" }));
  keys
    .watch(deps.kube, config.namespace)
    .catch(err =>
      logger.warn(
        { namespace: config.namespace, err: errorMessage(err) },
        "could not list the webhook key Secrets; webhooks are refused until they can be read",
      ),
    );
  if (config.plainHttp)
    logger.warn(
      {},
      "the webhook receiver speaks plain HTTP (VIDRA_WEBHOOK_PLAIN_HTTP): for local setups only; signatures are still checked",
    );
  const receiver = new WebhookReceiver({
    config: {
      host: config.host,
      port: config.port,
      tls: config.plainHttp
        ? undefined
        : { cert: readFileSync(deps.certPath), key: readFileSync(deps.keyPath) },
      maxBodyBytes: config.maxBodyBytes,
      toleranceMs: config.toleranceMs,
      replayCacheSize: config.replayCacheSize,
    },
    sources: keys,
    dispatch: deps.dispatch,
    standby: deps.standby,
    onOutcome: outcome => deps.metrics.webhookRequests.inc({ outcome }),
    logger,
  });
  const url = await receiver.start();
  logger.info(
    { url: `${url}${WEBHOOK_PATH_PREFIX}<secret>`, namespace: config.namespace },
    "Infrahub webhook receiver listening",
  );
  return {
    url,
    stop: async () => {
      await receiver.stop();
      await keys.stop();
    },
  };
}
