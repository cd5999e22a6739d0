import { OperatorError } from "../errors";

/** One thing wrong with a manifest, located so a person can find it. */
export interface ManifestProblem {
  /** 1-based document (or JSON array element); absent when the problem is about the whole manifest. */
  document?: number;
  /** 1-based position inside a List. */
  item?: number;
  /** The object, once known, as `Kind/name`. */
  subject?: string;
  message: string;
  /** The object is valid but outside the destination's fence (namespaces, scope, kinds). */
  fence?: boolean;
}

/** How many problems one error lists before summarising the rest as a count. */
export const DEFAULT_MAX_PROBLEMS = 20;

/** `document 2 (item 4 of List)`. */
export function formatLocation(loc: { document: number; item?: number }): string {
  return loc.item === undefined
    ? `document ${loc.document}`
    : `document ${loc.document} (item ${loc.item} of List)`;
}

/** `document 2 (item 4 of List), ConfigMap/web: missing kind`; whole-manifest problems are the bare message. */
export function formatProblem(p: ManifestProblem): string {
  if (p.document === undefined) return p.message;
  const subject = p.subject ? `, ${p.subject}` : "";
  return `${formatLocation({ document: p.document, item: p.item })}${subject}: ${p.message}`;
}

/**
 * A manifest that cannot be applied. It is never retryable: the same content fails the same way, so
 * the fix is a new artifact. It lists every problem found (up to a limit) so they can be fixed in one go.
 */
export class ManifestError extends OperatorError {
  /** The first failing document; absent when the problem is about the whole manifest (size, count). */
  readonly document?: number;
  /** The first failing List item, if any. */
  readonly item?: number;
  /** One line per problem, each starting with its location. */
  readonly problems: string[];
  /** Problems found beyond the listed ones. */
  readonly omitted: number;

  constructor(problems: ManifestProblem[], opts: { omitted?: number } = {}) {
    const lines = problems.map(formatProblem);
    const omitted = opts.omitted ?? 0;
    const more = omitted > 0 ? ` (and ${omitted} more)` : "";
    const message =
      lines.length === 1 && omitted === 0
        ? lines[0]
        : `${lines.length + omitted} problems in the manifest: ${lines.join("; ")}${more}`;
    // A manifest that is fine but reaches outside its fence is told apart: the fix is the fence or
    // the sync's target, not the artifact's syntax.
    const fenced = problems.length > 0 && problems.every(p => p.fence);
    super(message, { reason: fenced ? "FenceViolation" : "InvalidManifest", retryable: false });
    this.document = problems[0]?.document;
    this.item = problems[0]?.item;
    this.problems = lines;
    this.omitted = omitted;
  }
}

/** Collects problems up to a limit, then throws them together. */
export class ProblemList {
  private readonly items: ManifestProblem[] = [];
  private extra = 0;

  constructor(private readonly limit: number = DEFAULT_MAX_PROBLEMS) {}

  add(problem: ManifestProblem): void {
    if (this.items.length < this.limit) this.items.push(problem);
    else this.extra++;
  }

  get size(): number {
    return this.items.length + this.extra;
  }

  /** Throws one ManifestError listing everything collected, if anything was. */
  throwIfAny(): void {
    if (this.size > 0) throw new ManifestError(this.items, { omitted: this.extra });
  }
}
