import { checkDestination } from "./destination";
import { checkHealthTimeout } from "./health-wait";
import { checkInterval } from "./interval";
import { admissionProblems } from "./update-rules";
import { checkManifest } from "./manifest-check";
import { asRecord, asString, Problems, specOf } from "./problems";
import { checkTenancy, ownFence } from "./tenancy";

export { MAX_MANIFEST_BYTES } from "./manifest-check";

/** The rules on one VidraResource, as it stands. */
function problemsOf(obj: unknown): string[] {
  const p = new Problems();
  const spec = specOf(obj);
  const fence = ownFence(spec);
  checkManifest(
    p,
    "spec.manifest",
    spec?.manifest,
    spec?.allowEmpty === true,
    asString(asRecord(spec?.destination)?.namespace),
    fence,
  );
  checkDestination(p, "spec.destination", spec?.destination);
  checkTenancy(p, spec);
  checkInterval(
    p,
    "spec.reapplyInterval",
    spec?.reapplyInterval,
    "every applied object would be re-applied",
  );
  checkHealthTimeout(p, "spec.timeout", spec?.timeout);
  return p.items;
}

/**
 * Admission rules for VidraResource that the CRD schema cannot express. Pure: no network, no clock.
 * Returns every problem found (empty: admit). On UPDATE (`old` given) problems the stored object
 * already had are not held against the update (see newProblems), and the destination cluster must
 * not change.
 */
export function vidraResourceProblems(obj: unknown, old?: unknown): string[] {
  return admissionProblems(problemsOf, obj, old);
}
