import { durationProblem } from "../duration";
import { dns1123LabelProblem, dns1123SubdomainProblem, secretKeyProblem } from "./names";
import { httpUrlProblem, isLocalServer } from "./url";

/** Collects "field: problem" sentences; admission denies with all of them at once. */
export class Problems {
  readonly items: string[] = [];

  add(field: string, problem: string | undefined): void {
    if (problem) this.items.push(`${field} ${problem}`);
  }

  get empty(): boolean {
    return this.items.length === 0;
  }
}

type Loose = Record<string, unknown> | undefined;

export function asRecord(v: unknown): Loose {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function asString(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** A `{name, namespace, key?}` Secret reference; `keyFields` lists the optional data-key fields. */
export function checkSecretRef(p: Problems, field: string, ref: unknown, keyFields: string[]): void {
  const r = asRecord(ref);
  if (ref === undefined || ref === null) return;
  if (!r) return p.add(field, "must be an object with name and namespace");
  const name = asString(r.name);
  const namespace = asString(r.namespace);
  if (!name) p.add(`${field}.name`, "is required");
  else p.add(`${field}.name`, dns1123SubdomainProblem(name));
  if (!namespace) p.add(`${field}.namespace`, "is required (the referring object is cluster-scoped)");
  else p.add(`${field}.namespace`, dns1123LabelProblem(namespace));
  for (const k of keyFields) {
    const v = r[k];
    if (v === undefined) continue;
    if (typeof v !== "string" || v === "") p.add(`${field}.${k}`, "must be a non-empty string");
    else p.add(`${field}.${k}`, secretKeyProblem(v));
  }
}

export function checkDuration(p: Problems, field: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof value !== "string") return p.add(field, 'must be a duration string such as "5m"');
  p.add(field, durationProblem(value, { allowZero: true, allowNegative: false }));
}

/** Vidra's destination: server URL, default namespace, kubeconfig reference. */
export function checkDestination(p: Problems, field: string, destination: unknown): void {
  const d = asRecord(destination);
  if (!d) return;
  const server = asString(d.server);
  if (server) p.add(`${field}.server`, httpUrlProblem(server));
  const ns = asString(d.namespace);
  if (ns) p.add(`${field}.namespace`, dns1123LabelProblem(ns));
  checkSecretRef(p, `${field}.kubeconfigSecretRef`, d.kubeconfigSecretRef, ["key"]);
  if (d.kubeconfigSecretRef && isLocalServer(server)) {
    p.add(`${field}.kubeconfigSecretRef`, "needs destination.server: the local cluster is reached with the operator's own identity");
  }
}

/**
 * Changes an update cannot honour. Moving to another cluster would strand every applied object on
 * the old one, so the destination cluster is fixed for the life of the object.
 */
export function checkDestinationUnchanged(p: Problems, field: string, oldDest: unknown, newDest: unknown): void {
  const before = asRecord(oldDest);
  const after = asRecord(newDest);
  const norm = (s: unknown): string => (isLocalServer(asString(s)) ? "" : String(s));
  if (norm(before?.server) !== norm(after?.server)) {
    p.add(
      `${field}.server`,
      `cannot change (from ${JSON.stringify(before?.server ?? "")} to ${JSON.stringify(after?.server ?? "")}): ` +
        "objects already applied would be stranded on the old cluster; create a new object instead",
    );
  }
}
