import { ApplyBlockedError, PruneIncompleteError } from "../../apply/types";
import { errorMessage, isRetryable, OperatorError } from "../../errors";
import { KubeApiError } from "../../kube/errors";
import type { Logger } from "../../logger";
import { outcomeConditions } from "../../status/conditions";
import { SYNC_NOW_ANNOTATION } from "../markers";
import type { VidraResourceObject } from "../resources";
import { involved, withState, writeStatus, type PassContext } from "./pass-context";

/**
 * A failed pass over a VidraResource: what its status, log and Event say, and how soon a kind the
 * destination does not serve yet is tried again. It exists apart because how a failure reads to a
 * person (reason, whether it is retried, the conflicts in the way) is one question, apart from the
 * steps that failed.
 */

const KIND_RETRY_BASE_MS = 5_000;
const KIND_RETRY_MAX_MS = 60_000;

/** Consecutive UnknownKind failures by VidraResource, for the short retry (see retryMs). */
export class KindRetries {
  private readonly kindWaits = new Map<string, number>();

  /**
   * A kind the destination does not serve usually means its CRD is still on its way (installed by
   * another tool, or by another artifact): try again soon, 5 s doubling to a minute, and show when in
   * status, instead of waiting for the re-apply interval. Undefined for any other failure.
   */
  retryMs(name: string, err: unknown): number | undefined {
    if (!(err instanceof OperatorError) || err.reason !== "UnknownKind") {
      this.kindWaits.delete(name);
      return undefined;
    }
    const failures = (this.kindWaits.get(name) ?? 0) + 1;
    this.kindWaits.set(name, failures);
    return Math.min(KIND_RETRY_MAX_MS, KIND_RETRY_BASE_MS * 2 ** Math.min(failures - 1, 10));
  }

  forget(name: string): void {
    this.kindWaits.delete(name);
  }
}

export async function recordFailure(
  ctx: PassContext,
  vr: VidraResourceObject,
  err: unknown,
  log: Logger,
  retryMs: number | undefined,
): Promise<void> {
  const reason = err instanceof OperatorError ? err.reason : "Failed";
  const message =
    retryMs === undefined
      ? errorMessage(err)
      : `${errorMessage(err)}; tried again until it is served (next: status.nextReapplyTime)`;
  const retryable = isRetryable(err) || retryMs !== undefined;
  log.warn(
    {
      reason,
      err: message,
      retryable,
      ...(err instanceof KubeApiError ? { request: err.request } : {}),
    },
    "apply failed",
  );
  const conflicts =
    err instanceof ApplyBlockedError
      ? err.problems.filter(p => p.kind === "conflict").map(p => `${p.subject}: ${p.message}`)
      : [];
  await writeStatus(ctx, vr, {
    ...withState(
      outcomeConditions(
        vr.status?.conditions,
        { kind: "failed", reason, message, stalled: !retryable },
        vr.metadata.generation,
        ctx.now(),
      ),
    ),
    observedGeneration: vr.metadata.generation,
    conflicts,
    lastHandledSyncRequest: vr.metadata.annotations?.[SYNC_NOW_ANNOTATION],
    ...(retryMs !== undefined
      ? { nextReapplyTime: new Date(ctx.now().getTime() + retryMs).toISOString() }
      : {}),
  }).catch(e => log.warn({ err: errorMessage(e) }, "could not write status"));
  if (!(err instanceof PruneIncompleteError))
    await ctx.events.record(involved(vr), "Warning", reason, message);
}
