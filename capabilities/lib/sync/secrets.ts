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

export async function getSecret(
  kube: KubeClient,
  namespace: string,
  name: string,
  purpose: string,
): Promise<SecretObject> {
  try {
    return await kube.get<SecretObject>(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`,
    );
  } catch (err) {
    if (err instanceof KubeApiError && err.notFound) {
      throw new SecretReferenceError(
        `${purpose}: Secret ${namespace}/${name} does not exist`,
        "SecretNotFound",
      );
    }
    if (err instanceof KubeApiError && err.status === 403) {
      throw new SecretReferenceError(
        `${purpose}: the operator may not read Secret ${namespace}/${name} (RBAC)`,
        "SecretForbidden",
      );
    }
    throw err;
  }
}

/**
 * Secrets carrying `label=value` in every namespace (or only in `namespace`), newest first
 * (Vidra's lookup order).
 */
export async function listLabelledSecrets(
  kube: KubeClient,
  label: string,
  value: string,
  namespace?: string,
): Promise<SecretObject[]> {
  const path =
    namespace === undefined
      ? "/api/v1/secrets"
      : `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
  const list = await kube.list<SecretObject>(path, {
    labelSelector: `${label}=${value}`,
  });
  return list.items.sort((a, b) =>
    (b.metadata?.creationTimestamp ?? "").localeCompare(a.metadata?.creationTimestamp ?? ""),
  );
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Hosts that cannot be a label value (IPv6 literals, long names) have no label lookup. */
export function isLabelValue(v: string): boolean {
  return v.length <= 63 && LABEL_VALUE.test(v);
}
