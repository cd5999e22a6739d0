import { OperatorError } from "../errors";
import type { KubeClient, KubeObject } from "../kube/client";
import { KubeApiError } from "../kube/errors";

export interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

/** A referenced Secret is missing or unusable. Retried with backoff: it may be created later. */
export class SecretReferenceError extends OperatorError {
  constructor(message: string, reason = "SecretNotUsable") {
    super(message, { reason, retryable: true });
  }
}

export function secretValue(secret: SecretObject, key: string): string | undefined {
  const raw = secret.data?.[key];
  return raw === undefined ? undefined : Buffer.from(raw, "base64").toString("utf8");
}

/**
 * Where Secrets are read from: the API server, or the operator's watch-fed Secret cache
 * (cache/secret-cache.ts), which holds only the Secrets syncs reference.
 */
export interface SecretSource {
  /** Undefined when the Secret does not exist. */
  get(namespace: string, name: string): Promise<SecretObject | undefined>;
  /** The Secrets carrying `label=value`, in every namespace or only in `namespace`. */
  labelled(label: string, value: string, namespace?: string): Promise<SecretObject[]>;
}

/** Reads straight from the API server. */
export function liveSecrets(kube: KubeClient): SecretSource {
  return {
    get: async (namespace, name) => {
      try {
        return await kube.get<SecretObject>(
          `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`,
        );
      } catch (err) {
        if (err instanceof KubeApiError && err.notFound) return undefined;
        throw err;
      }
    },
    labelled: async (label, value, namespace) => {
      const path =
        namespace === undefined
          ? "/api/v1/secrets"
          : `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
      return (await kube.list<SecretObject>(path, { labelSelector: `${label}=${value}` })).items;
    },
  };
}

const sourceOf = (from: KubeClient | SecretSource): SecretSource =>
  "labelled" in from ? from : liveSecrets(from);

export async function getSecret(
  from: KubeClient | SecretSource,
  namespace: string,
  name: string,
  purpose: string,
): Promise<SecretObject> {
  let secret: SecretObject | undefined;
  try {
    secret = await sourceOf(from).get(namespace, name);
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 403) {
      throw new SecretReferenceError(
        `${purpose}: the operator may not read Secret ${namespace}/${name} (RBAC)`,
        "SecretForbidden",
      );
    }
    throw err;
  }
  if (!secret) {
    throw new SecretReferenceError(
      `${purpose}: Secret ${namespace}/${name} does not exist`,
      "SecretNotFound",
    );
  }
  return secret;
}

/**
 * Secrets carrying `label=value` in every namespace (or only in `namespace`), newest first
 * (Vidra's lookup order).
 */
export async function listLabelledSecrets(
  from: KubeClient | SecretSource,
  label: string,
  value: string,
  namespace?: string,
): Promise<SecretObject[]> {
  const items = await sourceOf(from).labelled(label, value, namespace);
  return [...items].sort((a, b) =>
    (b.metadata?.creationTimestamp ?? "").localeCompare(a.metadata?.creationTimestamp ?? ""),
  );
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Hosts that cannot be a label value (IPv6 literals, long names) have no label lookup. */
export function isLabelValue(v: string): boolean {
  return v.length <= 63 && LABEL_VALUE.test(v);
}
