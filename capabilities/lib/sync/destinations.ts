import { ResourceManager } from "../apply/resource-manager";
import { cachedSecrets, type SecretCache } from "../cache/secret-cache";
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
  type SecretSource,
} from "./secrets";

/**
 * The holder of destinations resolved without one (the CLI): they stay until close(), or until
 * another version of their Secret is resolved.
 */
const UNHELD = "\u0000unheld";

/** Vidra's label on kubeconfig Secrets: the destination host. */
export const CLUSTER_KUBECONFIG_LABEL = "cluster-kubeconfig";

/** A cached remote destination and who uses it. */
interface CacheEntry {
  dest: Destination;
  holders: Set<string>;
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
 *
 * With a SecretCache (the operator), a holder's kubeconfig Secret is read from a watch the cache
 * keeps for as long as the holder uses that Secret: resolving costs no API request at steady state,
 * and the cache's onChange names the holders to reconcile when the Secret is rotated, created or
 * deleted. Without one (the CLI, one-shot), Secrets are read from the API server.
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
      /**
       * Where holders' kubeconfig Secrets are read from (watch-fed, holders = VidraResource names).
       * Its own instance: its holders are not the credentials cache's (syncs), and its onChange
       * reconciles VidraResources.
       */
      secrets?: SecretCache;
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
   * Without a holder a remote destination stays until another version of its Secret is resolved or
   * `close()`. Its objects are handled as `opts.identity` (impersonated on that cluster), and its
   * kubeconfig Secret must lie in `opts.scope`.
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
    const cache = holder === undefined ? undefined : this.opts.secrets;
    if (!cache) return this.clusterFrom(this.local.kube, spec, holder, scope);
    // What this resolution does not read (the local cluster, another Secret) is let go at its end:
    // a watch stays open only for a Secret some holder still uses. A failed read keeps its watch,
    // so the Secret's creation (or fix) reconciles the holder at once.
    cache.beginRound(holder!);
    try {
      return await this.clusterFrom(cachedSecrets(cache, holder!), spec, holder, scope);
    } finally {
      cache.endRound(holder!);
    }
  }

  private async clusterFrom(
    secrets: KubeClient | SecretSource,
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
    const secret = await kubeconfigSecret(secrets, server!, spec?.kubeconfigSecretRef, scope);
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
    };
    this.cache.set(cacheKey, entry);
    return this.hold(cacheKey, entry, holder);
  }

  /** The holder no longer applies anywhere (its VidraResource is gone). */
  release(holder: string): void {
    this.opts.secrets?.release(holder);
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

  close(): void {
    for (const e of this.cache.values()) e.dest.kube.close();
    for (const { kube } of this.impersonated.values()) kube.close();
    this.cache.clear();
    this.held.clear();
    this.impersonated.clear();
  }
}

/** The kubeconfig Secret of a remote destination: the referenced one, or Vidra's labelled one. */
async function kubeconfigSecret(
  secrets: KubeClient | SecretSource,
  server: string,
  ref: DestinationSpec["kubeconfigSecretRef"],
  scope: SecretScope,
): Promise<SecretObject> {
  if (ref) return getSecret(secrets, ref.namespace, ref.name, "destination.kubeconfigSecretRef");
  const host = urlHost(server);
  if (host && isLabelValue(host)) {
    const found = (
      await listLabelledSecrets(secrets, CLUSTER_KUBECONFIG_LABEL, host, scope.namespace)
    ).find(s => s.data?.kubeconfig);
    if (found) return found;
  }
  throw new SecretReferenceError(
    `no kubeconfig for ${server}: set destination.kubeconfigSecretRef or label a Secret ${CLUSTER_KUBECONFIG_LABEL}=${host} with a "kubeconfig" key`,
    "KubeconfigNotFound",
  );
}
