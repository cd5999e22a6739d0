import { dns1123LabelProblem, dns1123SubdomainProblem, secretKeyProblem } from "./names";
import { asRecord, asString, type Problems } from "./problems";

/**
 * A `{name, namespace, <key fields>}` Secret reference. `keyFields` lists its optional data-key
 * fields (they have defaults, so absent is fine, but an empty or malformed key never matches).
 * Only the reference is checked: reading the Secret would be a network call.
 */
export function checkSecretRef(
  p: Problems,
  field: string,
  ref: unknown,
  keyFields: string[],
): void {
  if (ref === undefined || ref === null) return;
  const r = asRecord(ref);
  if (!r) return p.add(field, "must be an object with the Secret's name and namespace");
  const name = asString(r.name);
  if (!name) p.add(`${field}.name`, "is required: the name of the Secret");
  else p.add(`${field}.name`, dns1123SubdomainProblem(name));
  const namespace = asString(r.namespace);
  if (!namespace) {
    p.add(
      `${field}.namespace`,
      "is required: this object is cluster-scoped, so the Secret's namespace must be given",
    );
  } else {
    p.add(`${field}.namespace`, dns1123LabelProblem(namespace));
  }
  for (const k of keyFields) {
    const v = r[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== "string" || v === "")
      p.add(
        `${field}.${k}`,
        "is empty: name a data key of the Secret, or remove the field to use the default",
      );
    else p.add(`${field}.${k}`, secretKeyProblem(v));
  }
}
