import { backoffDelayMs } from "../backoff";
import { errorMessage } from "../errors";
import { resourcePath, type KubeClient, type KubeObject } from "../kube/client";
import { Watcher, type WatchEventType } from "../kube/watch";
import type { Logger } from "../logger";
import { GROUP, VERSION } from "./markers";
import { CONFIG_MAP_LABEL } from "./operator-config";

export interface OwnWatchHandlers {
  onInfrahubSync(obj: KubeObject, phase: WatchEventType): void;
  onVidraResource(obj: KubeObject, phase: WatchEventType): void;
  onConfigMap(obj: KubeObject, phase: WatchEventType): void;
}

/**
 * The operator's own watches on the three collections Pepr's bindings watch (InfrahubSyncs,
 * VidraResources, the app=vidra ConfigMaps), used once a Pepr watch has given up. They never give
 * up: the first LIST is retried with backoff (the API server may still be down), and then the
 * watcher reconnects and relists by itself, reporting what changed meanwhile. Events that Pepr's
 * remaining watches deliver too are harmless: the operator ignores what it has already seen.
 */
export class OwnWatches {
  private readonly watchers: Watcher[] = [];
  private stopped = false;

  constructor(
    private readonly kube: KubeClient,
    private readonly handlers: OwnWatchHandlers,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const version = VERSION;
    this.watch(
      resourcePath({ group: GROUP, version, plural: "infrahubsyncs" }),
      undefined,
      (t, o) => this.handlers.onInfrahubSync(o, t),
    );
    this.watch(
      resourcePath({ group: GROUP, version, plural: "vidraresources" }),
      undefined,
      (t, o) => this.handlers.onVidraResource(o, t),
    );
    this.watch(
      resourcePath({ group: "", version: "v1", plural: "configmaps" }),
      `${CONFIG_MAP_LABEL.key}=${CONFIG_MAP_LABEL.value}`,
      (t, o) => this.handlers.onConfigMap(o, t),
    );
  }

  private watch(
    path: string,
    labelSelector: string | undefined,
    onEvent: (type: WatchEventType, obj: KubeObject) => void,
  ): void {
    const watcher = new Watcher(this.kube, path, {
      labelSelector,
      emitInitial: true,
      logger: this.logger,
      onEvent: (type, obj) => {
        try {
          onEvent(type, obj);
        } catch (err) {
          this.logger.error({ path, err: errorMessage(err) }, "a watch event handler failed");
        }
      },
    });
    this.watchers.push(watcher);
    void this.startWithRetry(watcher, path);
  }

  private async startWithRetry(watcher: Watcher, path: string): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await watcher.start();
        this.logger.info({ path }, "watching with the operator's own watch");
        return;
      } catch (err) {
        const delay = backoffDelayMs(
          attempt,
          { baseDelayMs: 1_000, maxDelayMs: 10_000 },
          Math.random,
        );
        this.logger.warn(
          { path, err: errorMessage(err), retryInMs: delay },
          "could not start a watch yet",
        );
        await new Promise(r => setTimeout(r, delay));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.watchers.map(w => w.stop()));
  }
}
