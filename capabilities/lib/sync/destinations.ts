import { ResourceManager } from "../apply/resource-manager";
import { urlHost, isLocalServer } from "../admission/url";
import { KubeClient, type KubeClientOptions } from "../kube/client";
import { accessFromKubeconfigText } from "../kube/kubeconfig";
import { ResourceMapper } from "../kube/discovery";
import { OPERATOR_IDENTITY, type ApplyIdentity } from "../tenancy/identity";
import { checkSecretRefNamespace, type SecretScope } from "../tenancy/secret-refs";
import type { DestinationSpec } from "./resources";
import {
  getSecret,
  isLabelValue,
  listLabelledSecrets,
  SecretReferenceError,
  secretValue,
  type SecretObject,
} from "./secrets";

/** The holder of destinations resolved without one: they stay until rotated or close(). */
const UNHELD = "\u0000unheld";

/** Vidra's label on kubeconfig Secrets: the destination host. */
export const CLUSTER_KUBECONFIG_LABEL = "cluster-kubeconfig";

/** A cached remote destination, the Secret version it was built from, and who uses it. */
interface CacheEntry {
  dest: Destination;
  holders: Set<string>;
  source: {
    server: string;
    ref: DestinationSpec["kubeconfigSecretRef"];
    scope: SecretScope;
    uid: string | undefined;
    resourceVersion: string | undefined;
  };
}

/** A cluster the operator applies to, with its clients. */
export interface Destination {
  /** "local" or the server URL. */
  key: string;
  /** Unique per set of clients ("local", or the server with the kubeconfig Secret's version). */
  id: string;
  server: string;
  /** The operator's own identity there: discovery and drift watches, never managed objects. */
  kube: KubeClient;
  mapper: ResourceMapper;
  /** Every read, dry-run, write and prune of managed objects, as `identity`. */
  resources: ResourceManager;
  identity: ApplyIdentity;
}

/**
 * Finds (and caches) the clients for a destination. Remote clusters come from the referenced
 * kubeconfig Secret or, as in Vidra, the newest Secret labelled cluster-kubeconfig=<host>. The cache
 * is keyed by the Secret's resourceVersion, so a rotated kubeconfig is picked up (Vidra cached
 * clients forever). Remote destinations are held by name (a VidraResource): a holder that resolves
 * another destination, or is released, lets go of the old one, and a destination nobody holds is
 * closed, so clients for deleted Secrets and VidraResources do not pile up.
 */
export class DestinationResolver {
  private readonly cache = new Map<string, CacheEntry>();
  /** holder → cache key of the remote destination it uses. */
  private readonly held = new Map<string, string>();
  /** Impersonating variants and their clients, by `<destination id>|<user>`; dropped with it. */
  private readonly impersonated = new Map<string, { dest: Destination; kube: KubeClient }>();
  readonly local: Destination;

  constructor(
    localKube: KubeClient,
    private readonly opts: {
      clientOptions?: KubeClientOptions;
      applyConcurrency?: number;
      /** Exec plugins a kubeconfig from a Secret may run (VIDRA_KUBECONFIG_EXEC_COMMANDS); none by default. */
      execAllowed?: (command: string) => boolean;
    } = {},
  ) {
    this.local = this.build("local", "local", localKube);
  }

  private build(key: string, id: string, kube: KubeClient): Destination {
    const mapper = new ResourceMapper(kube);
    return {
      key,
      id,
      server: kube.server,
      kube,
      mapper,
      resources: new ResourceManager(kube, mapper, { concurrency: this.opts.applyConcurrency }),
      identity: OPERATOR_IDENTITY,
    };
  }

  /**
   * The destination of `spec`, held by `holder` until it resolves another one or is released.
   * Without a holder a remote destination stays until it is rotated or `close()`. Its objects are
   * handled as `opts.identity` (impersonated on that cluster), and its kubeconfig Secret must lie
   * in `opts.scope`.
   */
  async resolve(
    spec: DestinationSpec | undefined,
    holder?: string,
    opts: { identity?: ApplyIdentity; scope?: SecretScope } = {},
  ): Promise<Destination> {
    const dest = await this.cluster(spec, holder, opts.scope ?? {});
    return opts.identity?.user ? this.as(dest, opts.identity) : dest;
  }

  /**
   * The same cluster, with managed objects handled as another user. Discovery and drift watches
   * stay with the operator's identity (shared per cluster); only `resources` acts as the user.
   */
  private as(base: Destination, identity: ApplyIdentity): Destination {
    const key = `${base.id}|${identity.user}`;
    const hit = this.impersonated.get(key);
    if (hit) return hit.dest;
    // The same kubeconfig context (credentials, proxy), with Impersonate-User replacing its `as`.
    const kube = new KubeClient(base.kube.access, {
      ...this.opts.clientOptions,
      impersonate: { user: identity.user! },
    });
    const dest: Destination = {
      ...base,
      resources: new ResourceManager(kube, base.mapper, {
        concurrency: this.opts.applyConcurrency,
      }),
      identity,
    };
    this.impersonated.set(key, { dest, kube });
    return dest;
  }

  private async cluster(
    spec: DestinationSpec | undefined,
    holder: string | undefined,
    scope: SecretScope,
  ): Promise<Destination> {
    const server = spec?.server;
    if (isLocalServer(server)) {
      if (holder !== undefined) this.release(holder);
      return this.local;
    }
    checkSecretRefNamespace(
      scope,
      "spec.destination.kubeconfigSecretRef",
      spec?.kubeconfigSecretRef,
    );
    const secret = await this.kubeconfigSecret(server!, spec?.kubeconfigSecretRef, scope);
    const key = spec?.kubeconfigSecretRef?.key ?? "kubeconfig";
    const cacheKey = `${server}|${secret.metadata?.uid}|${secret.metadata?.resourceVersion}|${key}`;
    const hit = this.cache.get(cacheKey);
    if (hit) return this.hold(cacheKey, hit, holder);
    const text = secretValue(secret, key);
    const where = `Secret ${secret.metadata?.namespace}/${secret.metadata?.name}`;
    if (!text) throw new SecretReferenceError(`${where} has no "${key}" key`, "SecretIncomplete");
    const access = accessFromKubeconfigText(text, {
      origin: `kubeconfig in ${where}`,
      server,
      execAllowed: this.opts.execAllowed ?? (() => false),
    });
    // Drop clients built from an older version of the same Secret.
    for (const [k, e] of this.cache) {
      if (k.startsWith(`${server}|${secret.metadata?.uid}|`)) this.drop(k, e.dest);
    }
    const entry: CacheEntry = {
      dest: this.build(server!, cacheKey, new KubeClient(access, this.opts.clientOptions)),
      holders: new Set<string>(),
      source: {
        server: server!,
        ref: spec?.kubeconfigSecretRef,
        scope,
        uid: secret.metadata?.uid,
        resourceVersion: secret.metadata?.resourceVersion,
      },
    };
    this.cache.set(cacheKey, entry);
    return this.hold(cacheKey, entry, holder);
  }

  /**
   * The holders of remote destinations whose kubeconfig Secret changed (rotated, replaced or
   * deleted) since their clients were built. Reconciling them resolves the destination again,
   * which builds new clients (and drift watches) and closes the old ones. A Secret that cannot be
   * read right now (API server trouble) changes nothing.
   */
  async rotatedHolders(): Promise<string[]> {
    const stale = new Set<string>();
    for (const entry of [...this.cache.values()]) {
      const { server, ref, scope, uid, resourceVersion } = entry.source;
      let current: SecretObject | undefined;
      try {
        current = await this.kubeconfigSecret(server, ref, scope);
      } catch (err) {
        if (!(err instanceof SecretReferenceError)) continue;
      }
      if (current?.metadata?.uid === uid && current?.metadata?.resourceVersion === resourceVersion)
        continue;
      for (const h of entry.holders) if (h !== UNHELD) stale.add(h);
    }
    return [...stale];
  }

  /** The holder no longer applies anywhere (its VidraResource is gone). */
  release(holder: string): void {
    const key = this.held.get(holder);
    if (key === undefined) return;
    this.held.delete(holder);
    const entry = this.cache.get(key);
    if (!entry) return;
    entry.holders.delete(holder);
    if (entry.holders.size === 0) this.drop(key, entry.dest);
  }

  /** Remote destinations cached now. */
  get size(): number {
    return this.cache.size;
  }

  private hold(key: string, entry: CacheEntry, holder: string | undefined): Destination {
    if (holder === undefined) {
      entry.holders.add(UNHELD);
      return entry.dest;
    }
    const before = this.held.get(holder);
    entry.holders.add(holder);
    this.held.set(holder, key);
    if (before !== undefined && before !== key) {
      const old = this.cache.get(before);
      old?.holders.delete(holder);
      if (old && old.holders.size === 0) this.drop(before, old.dest);
    }
    return entry.dest;
  }

  private drop(key: string, dest: Destination): void {
    dest.kube.close();
    this.cache.delete(key);
    for (const [h, k] of this.held) if (k === key) this.held.delete(h);
    for (const [k, { kube }] of this.impersonated) {
      if (k.startsWith(`${dest.id}|`)) {
        kube.close();
        this.impersonated.delete(k);
      }
    }
  }

  private async kubeconfigSecret(
    server: string,
    ref: DestinationSpec["kubeconfigSecretRef"],
    scope: SecretScope,
  ): Promise<SecretObject> {
    if (ref)
      return getSecret(this.local.kube, ref.namespace, ref.name, "destination.kubeconfigSecretRef");
    const host = urlHost(server);
    if (host && isLabelValue(host)) {
      const found = (
        await listLabelledSecrets(this.local.kube, CLUSTER_KUBECONFIG_LABEL, host, scope.namespace)
      ).find(s => s.data?.kubeconfig);
      if (found) return found;
    }
    throw new SecretReferenceError(
      `no kubeconfig for ${server}: set destination.kubeconfigSecretRef or label a Secret ${CLUSTER_KUBECONFIG_LABEL}=${host} with a "kubeconfig" key`,
      "KubeconfigNotFound",
    );
  }

  close(): void {
    for (const e of this.cache.values()) e.dest.kube.close();
    for (const { kube } of this.impersonated.values()) kube.close();
    this.cache.clear();
    this.held.clear();
    this.impersonated.clear();
  }
}
