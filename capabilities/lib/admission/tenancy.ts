import { fenceOfSpec, fenceSpecProblems, type Fence, type FenceSpec } from "../tenancy/fence";
import { dns1123LabelProblem, dns1123SubdomainProblem } from "./names";
import { asRecord, asString, type Problems } from "./problems";

/** serviceAccountName / serviceAccountNamespace and spec.fence, as written. */
export function checkTenancy(p: Problems, spec: Record<string, unknown> | undefined): void {
  const name = asString(spec?.serviceAccountName);
  if (name) p.add("spec.serviceAccountName", dns1123SubdomainProblem(name));
  const ns = asString(spec?.serviceAccountNamespace);
  if (ns) p.add("spec.serviceAccountNamespace", dns1123LabelProblem(ns));
  for (const [field, problem] of fenceSpecProblems(asRecord(spec?.fence) as FenceSpec | undefined))
    p.add(field, problem);
}

/** The resource's own fence, when it sets one. */
export function ownFence(spec: Record<string, unknown> | undefined): Fence | undefined {
  return fenceOfSpec(asRecord(spec?.fence) as FenceSpec | undefined);
}
