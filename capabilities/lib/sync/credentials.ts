import type { InfrahubAuthConfig, InfrahubConnection } from "../infrahub";
import type { KubeClient } from "../kube/client";
import type { InfrahubSyncObject } from "./resources";
import { urlHost } from "../admission/url";
import { checkSecretRefNamespace, type SecretScope } from "../tenancy/secret-refs";
import {
  getSecret,
  isLabelValue,
  listLabelledSecrets,
  SecretReferenceError,
  secretValue,
  type SecretObject,
  type SecretSource,
} from "./secrets";

/** Vidra's label on credential Secrets: the Infrahub host, without scheme or port. */
export const INFRAHUB_URL_LABEL = "infrahub-api-url";

export interface ResolvedInfrahub {
  connection: InfrahubConnection;
  /** Where the credentials came from, for status and logs (never the values). */
  credentialSource: string;
}

type Source = NonNullable<InfrahubSyncObject["spec"]>["source"];

function authFromSecret(
  secret: SecretObject,
  keys: { token: string; username: string; password: string },
): InfrahubAuthConfig | undefined {
  const token = secretValue(secret, keys.token)?.trim();
  if (token) return { kind: "token", token };
  const username = secretValue(secret, keys.username)?.trim();
  const password = secretValue(secret, keys.password)?.trim();
  if (username && password) return { kind: "password", username, password };
  return undefined;
}

/**
 * Builds the Infrahub connection of a sync: credentials from the referenced Secret, else from the
 * newest Secret labelled infrahub-api-url=<host> (Vidra's lookup, which also accepts an API token
 * now), else anonymous; plus the TLS settings. A referenced Secret that is bound to another host by
 * Vidra's label is refused, so a sync cannot send one Infrahub's credentials to another address.
 */
export async function resolveInfrahub(
  kube: KubeClient | SecretSource,
  source: Source,
  scope: SecretScope = {},
): Promise<ResolvedInfrahub> {
  const url = source.infrahubAPIURL;
  const host = urlHost(url);
  const ref = source.credentialsSecretRef;
  checkSecretRefNamespace(scope, "spec.source.credentialsSecretRef", ref);
  checkSecretRefNamespace(scope, "spec.source.tls.caSecretRef", source.tls?.caSecretRef);
  let auth: InfrahubAuthConfig = { kind: "anonymous" };
  let credentialSource = "anonymous (no credentials Secret)";
  if (ref) {
    const keys = {
      token: ref.tokenKey ?? "token",
      username: ref.usernameKey ?? "username",
      password: ref.passwordKey ?? "password",
    };
    const secret = await getSecret(
      kube,
      ref.namespace,
      ref.name,
      "spec.source.credentialsSecretRef",
    );
    const boundTo = secret.metadata?.labels?.[INFRAHUB_URL_LABEL];
    if (boundTo && boundTo !== host) {
      throw new SecretReferenceError(
        `Secret ${ref.namespace}/${ref.name} is labelled ${INFRAHUB_URL_LABEL}=${boundTo}, so it may not be sent to ${host}`,
        "SecretBoundToOtherHost",
      );
    }
    const found = authFromSecret(secret, keys);
    if (!found) {
      throw new SecretReferenceError(
        `Secret ${ref.namespace}/${ref.name} has neither a "${keys.token}" key nor both "${keys.username}" and "${keys.password}"`,
        "SecretIncomplete",
      );
    }
    auth = found;
    credentialSource = `Secret ${ref.namespace}/${ref.name}`;
  } else if (host && isLabelValue(host)) {
    for (const secret of await listLabelledSecrets(
      kube,
      INFRAHUB_URL_LABEL,
      host,
      scope.namespace,
    )) {
      const found = authFromSecret(secret, {
        token: "token",
        username: "username",
        password: "password",
      });
      if (found) {
        auth = found;
        credentialSource = `Secret ${secret.metadata?.namespace}/${secret.metadata?.name} (label ${INFRAHUB_URL_LABEL}=${host})`;
        break;
      }
    }
  }
  const tls = source.tls;
  let caPem: string | undefined;
  if (tls?.caSecretRef) {
    const key = tls.caSecretRef.key ?? "ca.crt";
    const secret = await getSecret(
      kube,
      tls.caSecretRef.namespace,
      tls.caSecretRef.name,
      "spec.source.tls.caSecretRef",
    );
    caPem = secretValue(secret, key);
    if (!caPem) {
      throw new SecretReferenceError(
        `Secret ${tls.caSecretRef.namespace}/${tls.caSecretRef.name} has no "${key}" key`,
        "SecretIncomplete",
      );
    }
  }
  return {
    connection: {
      url,
      auth,
      tls:
        caPem || tls?.insecureSkipVerify
          ? { caPem, insecureSkipTlsVerify: tls?.insecureSkipVerify === true }
          : undefined,
    },
    credentialSource,
  };
}
