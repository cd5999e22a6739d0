import { OperatorError } from "../errors";
import type { ObjectRef } from "../manifest/types";

export type ChangeAction =
  | "created"
  | "configured"
  | "unchanged"
  | "deleted"
  | "released"
  | "orphaned"
  | "skipped";

/** What happened to one object. */
export interface ChangeEntry {
  ref: ObjectRef;
  /** "Deployment/web/nginx" */
  subject: string;
  action: ChangeAction;
  /** Why, for skipped objects. */
  message?: string;
  /** resourceVersion after a write, so the drift watch can ignore the echo of our own change. */
  resourceVersion?: string;
}

export type ProblemKind =
  | "invalid"
  | "conflict"
  | "refused"
  | "forbidden"
  | "unknown-kind"
  /** The object's namespace is being deleted (403 NamespaceTerminating): gone in a moment. */
  | "namespace-terminating";

/** Why one object cannot be applied. */
export interface ObjectProblem {
  ref: ObjectRef;
  subject: string;
  kind: ProblemKind;
  message: string;
}

/**
 * The bundle cannot be applied as it stands. Thrown before any write (or after CRDs and Namespaces
 * only), so a bad manifest never goes in halfway. Conflicts with another owner may clear up when
 * that owner changes, and a namespace being deleted is soon gone (the next try re-creates it), so
 * those are retryable; invalid objects and refusals need a change here.
 */
export class ApplyBlockedError extends OperatorError {
  constructor(
    readonly problems: ObjectProblem[],
    /** Writes already made (CRDs and Namespaces of the first stage). */
    readonly applied: ChangeEntry[] = [],
  ) {
    const shown = problems.slice(0, 10).map(p => `${p.subject}: ${p.message}`);
    const more = problems.length > 10 ? `; and ${problems.length - 10} more` : "";
    super(
      `${problems.length} object(s) cannot be applied, so none were: ${shown.join("; ")}${more}`,
      {
        reason: reasonFor(problems),
        retryable: problems.every(p => p.kind === "conflict" || p.kind === "namespace-terminating"),
      },
    );
  }
}

function reasonFor(problems: ObjectProblem[]): string {
  const kinds = new Set(problems.map(p => p.kind));
  if (kinds.size === 1) {
    const only = [...kinds][0];
    return {
      invalid: "InvalidObjects",
      conflict: "OwnershipConflict",
      refused: "AdoptionRefused",
      forbidden: "Forbidden",
      "unknown-kind": "UnknownKind",
      "namespace-terminating": "NamespaceTerminating",
    }[only];
  }
  return "ApplyBlocked";
}

/** Objects that could not be deleted or released; they stay in the inventory and are tried again. */
export class PruneIncompleteError extends OperatorError {
  constructor(
    readonly survivors: Array<{ ref: ObjectRef; subject: string; message: string }>,
    readonly done: ChangeEntry[],
  ) {
    super(
      `${survivors.length} object(s) could not be pruned: ${survivors
        .slice(0, 5)
        .map(s => `${s.subject}: ${s.message}`)
        .join("; ")}`,
      {
        reason: "PruneFailed",
        retryable: true,
      },
    );
  }
}
