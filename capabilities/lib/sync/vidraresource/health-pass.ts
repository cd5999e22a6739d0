import { fromManagedResources } from "../../apply/inventory";
import type { ObjectRef } from "../../manifest/types";
import type { ReconcileResult } from "../../queue/types";
import { outcomeConditions } from "../../status/conditions";
import type { Destination } from "../destinations";
import { DEFAULT_HEALTH_TIMEOUT_MS, healthGate, type HealthGateResult } from "../health-gate";
import { intervalMs } from "../intervals";
import { SYNC_NOW_ANNOTATION } from "../markers";
import type { HealthStatusField, VidraResourceObject } from "../resources";
import {
  appliedMessage,
  destinationOf,
  involved,
  withState,
  writeStatus,
  type PassContext,
} from "./pass-context";

/**
 * Reading the health of a VidraResource's objects (spec.wait): the health gate's verdict on them, the
 * Event when it turns, and the health-only pass that reads it again while they roll out without
 * applying anything. It exists apart because the full pass and the health-only pass both judge
 * health the same way, and deciding when a pass may only read health is its own question.
 */

/** The last full pass that succeeded for a VidraResource. */
export interface LastApply {
  generation: number | undefined;
  syncNow: string | undefined;
  at: number;
}

/**
 * A pass that only reads health: due while the objects roll out, until the spec changes, a sync
 * is asked for, drift is seen or the re-apply interval comes round.
 */
export function onlyHealthIsDue(
  vr: VidraResourceObject,
  last: LastApply | undefined,
  reapplyMs: number,
): boolean {
  return (
    !!last &&
    vr.status?.health?.status === "Progressing" &&
    vr.status.observedGeneration === vr.metadata.generation &&
    last.generation === vr.metadata.generation &&
    last.syncNow === vr.metadata.annotations?.[SYNC_NOW_ANNOTATION] &&
    (reapplyMs <= 0 || Date.now() < last.at + reapplyMs)
  );
}

/** `applied`: the last full passes, read again at the end (drift may have been seen meanwhile). */
export async function recheckHealth(
  ctx: PassContext,
  applied: ReadonlyMap<string, LastApply>,
  vr: VidraResourceObject,
  reapplyMs: number,
): Promise<ReconcileResult> {
  const spec = vr.spec ?? {};
  const dest = await destinationOf(ctx, vr.metadata.name, spec);
  const refs = fromManagedResources(vr.status?.managedResources);
  const previousHealth = vr.status?.health;
  const gate = await assessHealth(ctx, vr, dest, refs, false, appliedMessage(dest, refs.length));
  await writeStatus(ctx, vr, {
    ...withState(
      outcomeConditions(vr.status?.conditions, gate.outcome, vr.metadata.generation, ctx.now()),
    ),
    health: gate.health,
  });
  await recordHealthChange(ctx, vr, previousHealth, gate);
  if (gate.recheckAfterMs !== undefined) return { requeueAfterMs: gate.recheckAfterMs };
  const last = applied.get(vr.metadata.name);
  if (reapplyMs <= 0 || !last) return undefined;
  return { requeueAfterMs: Math.max(0, last.at + reapplyMs - Date.now()) };
}

export async function assessHealth(
  ctx: PassContext,
  vr: VidraResourceObject,
  dest: Destination,
  refs: ObjectRef[],
  changed: boolean,
  applied: string,
): Promise<HealthGateResult> {
  const timeoutMs = intervalMs(vr.spec?.timeout, DEFAULT_HEALTH_TIMEOUT_MS);
  return healthGate({
    objects: await dest.resources.health(refs),
    previous: vr.status?.health,
    changed,
    timeoutMs: timeoutMs > 0 ? timeoutMs : DEFAULT_HEALTH_TIMEOUT_MS,
    now: ctx.now(),
    applied,
  });
}

/** An Event when the objects become healthy again, or stop being healthy. */
export async function recordHealthChange(
  ctx: PassContext,
  vr: VidraResourceObject,
  previous: HealthStatusField | null | undefined,
  gate: HealthGateResult,
): Promise<void> {
  const before = previous?.status;
  const after = gate.health.status;
  if (after === before) return;
  if (after === "Unhealthy")
    await ctx.events.record(involved(vr), "Warning", "HealthCheckFailed", gate.outcome.message);
  else if (after === "Healthy" && before)
    await ctx.events.record(involved(vr), "Normal", "Healthy", gate.outcome.message);
}
