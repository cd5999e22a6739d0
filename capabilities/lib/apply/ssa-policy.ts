import type { KubeObject } from "../kube/client";

/**
 * Per-object opt-outs, in the spirit of Flux's `kustomize.toolkit.fluxcd.io/ssa` and `force`:
 * - `infrahub.operators.com/ssa: Ignore` (in the manifest or on the live object): never applied
 *   nor pruned; a person can take one object out of the operator's hands;
 * - `infrahub.operators.com/ssa: IfNotPresent`: created when missing, never changed after;
 * - `infrahub.operators.com/force: Enabled`: a change the API server refuses as immutable (a
 *   Deployment's selector, a Job's template) deletes and recreates the object.
 */
export const SSA_ANNOTATION = "infrahub.operators.com/ssa";
export const FORCE_ANNOTATION = "infrahub.operators.com/force";

type Annotated = { metadata?: { annotations?: Record<string, string> } } | undefined;

const annotation = (o: Annotated, key: string): string | undefined =>
  o?.metadata?.annotations?.[key]?.trim().toLowerCase();

export interface SsaPolicy {
  ignore: boolean;
  ifNotPresent: boolean;
  recreateOnImmutable: boolean;
}

export function ssaPolicy(desired: Annotated, live: KubeObject | undefined): SsaPolicy {
  const either = (key: string, value: string) =>
    annotation(desired, key) === value || annotation(live, key) === value;
  return {
    ignore: either(SSA_ANNOTATION, "ignore"),
    ifNotPresent: either(SSA_ANNOTATION, "ifnotpresent"),
    recreateOnImmutable: either(FORCE_ANNOTATION, "enabled"),
  };
}

/** The API server's answer to changing a field that cannot change (as kubectl and Flux detect it). */
export function isImmutableFieldError(message: string): boolean {
  return /is immutable|immutable field/i.test(message);
}
