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

/** The collections the operator can watch itself. */
export type OwnWatchKind = "InfrahubSync" | "VidraResource" | "ConfigMap";

export const OWN_WATCH_KINDS: readonly OwnWatchKind[] = [
  "InfrahubSync",
  "VidraResource",
  "ConfigMap",
];

interface Collection {
  path: string;
  apiVersion: string;
  labelSelector?: string;
  handler: (h: OwnWatchHandlers) => (obj: KubeObject, phase: WatchEventType) => void;
}

const COLLECTIONS: Record<OwnWatchKind, Collection> = {
  InfrahubSync: {
    path: resourcePath({ group: GROUP, version: VERSION, plural: "infrahubsyncs" }),
    apiVersion: `${GROUP}/${VERSION}`,
    handler: h => h.onInfrahubSync.bind(h),
  },
  VidraResource: {
    path: resourcePath({ group: GROUP, version: VERSION, plural: "vidraresources" }),
    apiVersion: `${GROUP}/${VERSION}`,
    handler: h => h.onVidraResource.bind(h),
  },
  ConfigMap: {
    path: resourcePath({ group: "", version: "v1", plural: "configmaps" }),
    apiVersion: "v1",
    labelSelector: `${CONFIG_MAP_LABEL.key}=${CONFIG_MAP_LABEL.value}`,
    handler: h => h.onConfigMap.bind(h),
  },
};

/**
 * The operator's own watches (kube/watch.ts). InfrahubSyncs and VidraResources are always watched
 * this way in the watcher: a Pepr Watch binding keeps every object of its kind in full for as long
 * as the process runs (kubernetes-fluent-client's cache), where this watch keeps a few metadata
 * fields per object and the operator's caches keep trimmed objects. The app=vidra ConfigMaps stay
 * with Pepr until a Pepr watch gives up; then they are watched here too. These never give up: the
 * first LIST is retried with backoff (the API server or the CRDs may not be there yet), and then
 * the watcher reconnects and relists by itself, reporting what changed meanwhile. Events that a
 * Pepr watch delivers too are harmless: the operator ignores what it has already seen.
 */
export class OwnWatches {
  private readonly watchers: Watcher[] = [];
  private readonly started = new Set<OwnWatchKind>();
  private stopped = false;

  constructor(
    private readonly kube: KubeClient,
    private readonly handlers: OwnWatchHandlers,
    private readonly logger: Logger,
  ) {}

  /** Starts the watches of `kinds` not started yet. */
  start(kinds: readonly OwnWatchKind[] = OWN_WATCH_KINDS): void {
    for (const kind of kinds) {
      if (this.started.has(kind) || this.stopped) continue;
      this.started.add(kind);
      const c = COLLECTIONS[kind];
      const handle = c.handler(this.handlers);
      // LIST items carry no apiVersion or kind; the operator writes some of them back.
      this.watch(c.path, c.labelSelector, (t, o) =>
        handle({ ...o, apiVersion: o.apiVersion ?? c.apiVersion, kind: o.kind ?? kind }, t),
      );
    }
  }

  /** The kinds watched here. */
  get kinds(): OwnWatchKind[] {
    return [...this.started];
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
