import { checkDestinationUnchanged } from "./destination";
import { newProblems, Problems, specOf } from "./problems";

/**
 * The verdict for a create (every problem) or an update (`old` given): problems the stored object
 * already had are not held against the update (see newProblems), and the destination cluster must
 * not change, since objects already applied would be stranded on the old one.
 */
export function admissionProblems(
  problemsOf: (obj: unknown) => string[],
  obj: unknown,
  old?: unknown,
): string[] {
  if (old === undefined) return problemsOf(obj);
  const p = new Problems();
  checkDestinationUnchanged(
    p,
    "spec.destination",
    specOf(old)?.destination,
    specOf(obj)?.destination,
  );
  return [...newProblems(problemsOf(obj), () => problemsOf(old)), ...p.items];
}
