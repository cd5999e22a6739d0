import { ResourceManager } from "../apply/resource-manager";
import { urlHost, isLocalServer } from "../admission/url";
import { KubeClient, type KubeClientOptions } from "../kube/client";
import { connectionFromKubeconfig } from "../kube/connection";
import { ResourceMapper } from "../kube/discovery";
import type { DestinationSpec } from "./resources";
import {
  getSecret,
  isLabelValue,
  listLabelledSecrets,
  SecretReferenceError,
  secretValue,
  type SecretObject,
} from "./secrets";

/** Vidra's label on kubeconfig Secrets: the destination host. */
export const CLUSTER_KUBECONFIG_LABEL = "cluster-kubeconfig";

/** A cluster the operator applies to, with its clients. */
export interface Destination {
  /** "local" or the server URL. */
  key: string;
  server: string;
  kube: KubeClient;
  mapper: ResourceMapper;
  resources: ResourceManager;
}

/**
 * Finds (and caches) the clients for a destination. Remote clusters come from the referenced
 * kubeconfig Secret or, as in Vidra, the newest Secret labelled cluster-kubeconfig=<host>. The cache
 * is keyed by the Secret's resourceVersion, so a rotated kubeconfig is picked up (Vidra cached
 * clients forever).
 */
export class DestinationResolver {
  private readonly cache = new Map<string, Destination>();
  readonly local: Destination;

  constructor(
    localKube: KubeClient,
    private readonly opts: { clientOptions?: KubeClientOptions; applyConcurrency?: number } = {},
  ) {
    this.local = this.build("local", localKube);
  }

  private build(key: string, kube: KubeClient): Destination {
    const mapper = new ResourceMapper(kube);
    return {
      key,
      server: kube.server,
      kube,
      mapper,
      resources: new ResourceManager(kube, mapper, { concurrency: this.opts.applyConcurrency }),
    };
  }

  async resolve(spec: DestinationSpec | undefined): Promise<Destination> {
    const server = spec?.server;
    if (isLocalServer(server)) return this.local;
    const secret = await this.kubeconfigSecret(server!, spec?.kubeconfigSecretRef);
    const key = spec?.kubeconfigSecretRef?.key ?? "kubeconfig";
    const cacheKey = `${server}|${secret.metadata?.uid}|${secret.metadata?.resourceVersion}|${key}`;
    const hit = this.cache.get(cacheKey);
    if (hit) return hit;
    const text = secretValue(secret, key);
    const where = `Secret ${secret.metadata?.namespace}/${secret.metadata?.name}`;
    if (!text) throw new SecretReferenceError(`${where} has no "${key}" key`, "SecretIncomplete");
    const conn = connectionFromKubeconfig(text, { origin: `kubeconfig in ${where}`, server });
    // Drop clients built from an older version of the same Secret.
    for (const [k, d] of this.cache) {
      if (k.startsWith(`${server}|${secret.metadata?.uid}|`)) {
        d.kube.close();
        this.cache.delete(k);
      }
    }
    const dest = this.build(server!, new KubeClient(conn, this.opts.clientOptions));
    this.cache.set(cacheKey, dest);
    return dest;
  }

  private async kubeconfigSecret(
    server: string,
    ref: DestinationSpec["kubeconfigSecretRef"],
  ): Promise<SecretObject> {
    if (ref)
      return getSecret(this.local.kube, ref.namespace, ref.name, "destination.kubeconfigSecretRef");
    const host = urlHost(server);
    if (host && isLabelValue(host)) {
      const found = (
        await listLabelledSecrets(this.local.kube, CLUSTER_KUBECONFIG_LABEL, host)
      ).find(s => s.data?.kubeconfig);
      if (found) return found;
    }
    throw new SecretReferenceError(
      `no kubeconfig for ${server}: set destination.kubeconfigSecretRef or label a Secret ${CLUSTER_KUBECONFIG_LABEL}=${host} with a "kubeconfig" key`,
      "KubeconfigNotFound",
    );
  }

  close(): void {
    for (const d of this.cache.values()) d.kube.close();
    this.cache.clear();
  }
}
