import { OperatorError } from "../errors";
import { isLocalServer } from "../admission/url";
import type { TenancyConfig } from "../sync/operator-config";

/** The tenancy fields of an InfrahubSync or VidraResource spec. */
export interface TenancySpec {
  serviceAccountName?: string;
  serviceAccountNamespace?: string;
  destination?: { server?: string; namespace?: string };
}

export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

/** Who a resource applies as: a ServiceAccount, or the operator's own identity. */
export interface ApplyIdentity {
  serviceAccount?: ServiceAccountRef;
  /** The Impersonate-User value, `system:serviceaccount:<ns>:<name>`. */
  user?: string;
  /** For messages: "ServiceAccount team-a/applier" or "the operator's own identity". */
  description: string;
}

export const OPERATOR_IDENTITY: ApplyIdentity = Object.freeze({
  description: "the operator's own identity",
});

/**
 * The namespace a cluster-scoped resource acts for: its ServiceAccount's namespace, else its
 * destination namespace, else "default" (where its namespaced objects without a namespace go).
 * ServiceAccounts are looked up there, and Secret references must stay there when
 * cross-namespace references are off.
 */
export function homeNamespace(spec: TenancySpec | undefined): string {
  return spec?.serviceAccountNamespace || spec?.destination?.namespace || "default";
}

export function serviceAccountUser(sa: ServiceAccountRef): string {
  return `system:serviceaccount:${sa.namespace}:${sa.name}`;
}

/** A local apply without a ServiceAccount while the operator requires one. */
export class ServiceAccountRequiredError extends OperatorError {
  constructor() {
    super(
      "the operator requires a ServiceAccount to apply to this cluster (requireServiceAccount) and none is set: " +
        "set spec.serviceAccountName (namespace: spec.serviceAccountNamespace, else destination.namespace), " +
        "or configure defaultServiceAccount in the operator's ConfigMap",
      { reason: "ServiceAccountRequired", retryable: false },
    );
  }
}

/**
 * As Flux's --default-service-account: a resource's own ServiceAccount, else the operator's
 * default (in the resource's home namespace), else, unless one is required, the operator's own
 * identity. The default and the requirement apply to the local cluster only: a remote cluster is
 * reached with its kubeconfig's identity, which is chosen per destination already; a ServiceAccount
 * named explicitly is impersonated there too.
 */
export function applyIdentity(
  spec: TenancySpec | undefined,
  tenancy: TenancyConfig,
): ApplyIdentity {
  const local = isLocalServer(spec?.destination?.server);
  const name = spec?.serviceAccountName || (local ? tenancy.defaultServiceAccount : undefined);
  if (!name) {
    if (local && tenancy.requireServiceAccount) throw new ServiceAccountRequiredError();
    return OPERATOR_IDENTITY;
  }
  const serviceAccount = { namespace: homeNamespace(spec), name };
  return {
    serviceAccount,
    user: serviceAccountUser(serviceAccount),
    description: `ServiceAccount ${serviceAccount.namespace}/${serviceAccount.name}`,
  };
}
