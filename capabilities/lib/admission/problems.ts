/**
 * Collects "<field path> <what is wrong and what to do>" sentences; admission denies with all of them at
 * once, so a person fixes everything in one go. The wiring joins them with "; ", so a sentence never
 * contains a semicolon of its own.
 */
export class Problems {
  readonly items: string[] = [];

  add(field: string, problem: string | undefined): void {
    if (problem) this.items.push(`${field} ${problem}`);
  }
}

/** A JSON object, or undefined for anything else (arrays, strings, null). */
export function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === "object" && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

export function asString(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** The `spec` of an admitted object, if it has one. */
export function specOf(obj: unknown): Record<string, unknown> | undefined {
  return asRecord(asRecord(obj)?.spec);
}

/**
 * Ratcheting, as the API server does for CRD schema rules: on UPDATE only problems the update brings
 * are denied. A problem the stored object already had (the same sentence: same field, same value) is
 * not the update's fault, and denying it would also deny removing a finalizer, editing a label or
 * asking for a sync, so an object stored before a rule existed could not even be deleted.
 * `previous` is only called when there is something to filter.
 */
export function newProblems(current: string[], previous: () => string[]): string[] {
  if (current.length === 0) return current;
  const before = new Set(previous());
  return current.filter(p => !before.has(p));
}
