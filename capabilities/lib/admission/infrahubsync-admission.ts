import { checkDestination } from "./destination";
import { checkInfrahubSource } from "./infrahub-source";
import { checkHealthTimeout } from "./health-wait";
import { checkInterval } from "./interval";
import { admissionProblems } from "./update-rules";
import { asRecord, asString, Problems, specOf } from "./problems";
import { checkTenancy } from "./tenancy";

/** Label values are limited to 63 characters, and every VidraResource of a sync carries its name in one. */
export const MAX_SYNC_NAME_LENGTH = 63;

function checkName(p: Problems, obj: unknown): void {
  const name = asString(asRecord(asRecord(obj)?.metadata)?.name);
  if (name && name.length > MAX_SYNC_NAME_LENGTH) {
    p.add(
      "metadata.name",
      `is ${name.length} characters long: every VidraResource of this sync is labelled with its name ` +
        `(infrahub.operators.com/sync) and label values hold at most ${MAX_SYNC_NAME_LENGTH} characters, so choose a shorter name`,
    );
  }
}

/** The rules on one InfrahubSync, as it stands. */
function problemsOf(obj: unknown): string[] {
  const p = new Problems();
  const spec = specOf(obj);
  checkName(p, obj);
  checkInfrahubSource(p, spec?.source);
  checkDestination(p, "spec.destination", spec?.destination);
  checkTenancy(p, spec);
  checkInterval(
    p,
    "spec.pollInterval",
    spec?.pollInterval,
    "Infrahub would be asked for artifacts",
  );
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
 * Admission rules for InfrahubSync that the CRD schema cannot express. Pure: no network, no clock.
 * Returns every problem found (empty: admit). On UPDATE (`old` given) problems the stored object
 * already had are not held against the update (see newProblems), and the destination cluster must
 * not change.
 */
export function infrahubSyncProblems(obj: unknown, old?: unknown): string[] {
  return admissionProblems(problemsOf, obj, old);
}
