import { OperatorError } from "../errors";
import { homeNamespace, type TenancySpec } from "./identity";

/** A Secret reference that leaves the resource's namespace while the operator forbids that. */
export class CrossNamespaceSecretRefError extends OperatorError {
  constructor(field: string, secretNamespace: string, home: string) {
    super(
      `${field} points to a Secret in namespace ${secretNamespace}, but this resource's namespace is ${home} ` +
        "(spec.serviceAccountNamespace, else destination.namespace) and the operator refuses cross-namespace " +
        "Secret references (allowCrossNamespaceSecretRefs: false): copy the Secret to " +
        `${home}, or change the resource's namespace`,
      { reason: "CrossNamespaceSecretRef", retryable: false },
    );
  }
}

/**
 * Where a resource may take Secrets from: `undefined` means anywhere (Vidra's behaviour, the
 * default); otherwise only its home namespace, and Vidra's label lookups search only there.
 */
export interface SecretScope {
  namespace?: string;
}

export function secretScope(
  spec: TenancySpec | undefined,
  allowCrossNamespace: boolean,
): SecretScope {
  return allowCrossNamespace ? {} : { namespace: homeNamespace(spec) };
}

/** Throws when `ref` leaves the scope. */
export function checkSecretRefNamespace(
  scope: SecretScope,
  field: string,
  ref: { namespace: string } | undefined,
): void {
  if (ref && scope.namespace !== undefined && ref.namespace !== scope.namespace)
    throw new CrossNamespaceSecretRefError(field, ref.namespace, scope.namespace);
}
