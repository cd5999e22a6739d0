import { createHash } from "node:crypto";
import { fromManagedResources, removedFrom, toManagedResources } from "../../apply/inventory";
import { ApplyBlockedError, PruneIncompleteError, type ChangeEntry } from "../../apply/types";
import { OperatorError } from "../../errors";
import type { Logger } from "../../logger";
import { sharedParses } from "../../manifest/parse-cache";
import { refKey } from "../../manifest/ref";
import type { ObjectRef } from "../../manifest/types";
import { outcomeConditions } from "../../status/conditions";
import { validateForDestination } from "../apply-target";
import { checkDestinationUnchanged, destinationServerOf } from "../destination-moved";
import { ownerFieldManager, SYNC_NOW_ANNOTATION } from "../markers";
import type { VidraResourceObject } from "../resources";
import { secretsIn, SecretsRefusedError } from "../secret-policy";
import type { VidraResourceReconcilerDeps } from "../vidraresource-reconciler";
import { assessHealth, recordHealthChange } from "./health-pass";
import {
  appliedMessage,
  destinationOf,
  involved,
  reapplyInterval,
  withState,
  writeStatus,
  type PassContext,
} from "./pass-context";

/**
 * The full pass over a VidraResource: parse, validate, dry-run, apply what changed, prune what left,
 * record the inventory (before the writes, and again after), read the objects' health when asked
 * to wait, and say what was done in status and Events. It exists apart because it is the long
 * middle of a reconcile, and the reconciler should read as its steps.
 */

export type ApplyPassContext = PassContext &
  Pick<VidraResourceReconcilerDeps, "protectedNamespaces" | "drift">;

const md5 = (s: string): string => createHash("md5").update(s, "utf8").digest("hex");

/**
 * The manifest problem a person has to fix; never retried on its own. Admission refuses such a
 * manifest too, but one stored while the webhook was down reaches the reconciler: it is refused the
 * same way, and what was applied before stays.
 */
class EmptyManifestError extends OperatorError {
  constructor(kept: number) {
    const stays = kept > 0 ? `; the ${kept} object(s) applied before stay` : "";
    super(
      `the manifest has no objects: add at least one, or set spec.allowEmpty: true if removing everything is meant${stays}`,
      { reason: "EmptyManifest", retryable: false },
    );
  }
}

export async function applyAndPrune(
  ctx: ApplyPassContext,
  vr: VidraResourceObject,
  log: Logger,
): Promise<{ entries: ChangeEntry[]; recheckAfterMs?: number }> {
  const spec = vr.spec ?? {};
  const name = vr.metadata.name;
  const owner = { name, fieldManager: ownerFieldManager(name) };
  checkDestinationUnchanged(vr);
  const dest = await destinationOf(ctx, name, spec);
  const previous = fromManagedResources(vr.status?.managedResources);
  const manifest = spec.manifest ?? "";
  const parsed = sharedParses.parse(manifest);
  if (ctx.config().refuseSecrets) {
    const secrets = secretsIn(parsed);
    if (secrets.length) throw new SecretsRefusedError(secrets);
  }
  if (parsed.length === 0 && !spec.allowEmpty) throw new EmptyManifestError(previous.length);
  const objects = await validateForDestination(parsed, dest, spec, ctx.config().tenancy);
  const refs = objects.map(o => o.ref);
  const inventory = new Set(previous.map(refKey));

  let entries: ChangeEntry[];
  try {
    entries = await dest.resources
      .as(owner)
      .adopting(spec.adoption ?? "Refuse")
      .protecting(ctx.protectedNamespaces ?? new Set())
      .knowing(inventory)
      .recordingIntent(async planned => {
        // Before anything is written the inventory lists every object that may be: killed
        // mid-apply, the operator then prunes the ones the manifest no longer has.
        const intent = [...previous, ...removedFrom(planned, previous)];
        if (intent.length > previous.length)
          await writeStatus(ctx, vr, {
            managedResources: toManagedResources(intent),
            managedCount: intent.length,
            destinationServer: destinationServerOf(vr),
          });
      })
      .apply(objects);
  } catch (err) {
    if (err instanceof ApplyBlockedError && err.applied.length) {
      // CRDs/Namespaces of the first stage were written: keep them in the inventory.
      const kept = [
        ...previous,
        ...removedFrom(
          err.applied.map(e => e.ref),
          previous,
        ),
      ];
      await writeStatus(ctx, vr, {
        managedResources: toManagedResources(kept),
        managedCount: kept.length,
        destinationServer: destinationServerOf(vr),
      });
    }
    throw err;
  }

  const gone = spec.prune === false ? [] : removedFrom(previous, refs);
  let pruned: ChangeEntry[] = [];
  let survivors: ObjectRef[] = [];
  let pruneError: PruneIncompleteError | undefined;
  if (gone.length) {
    try {
      pruned = await dest.resources.as(owner).prune(gone);
    } catch (err) {
      if (!(err instanceof PruneIncompleteError)) throw err;
      pruneError = err;
      pruned = err.done;
      survivors = err.survivors.map(s => s.ref);
    }
  }
  const all = [...entries, ...pruned];
  const inventoryAfter = [...refs, ...survivors];
  const eventsOn = !!spec.destination?.reconcileOnEvents || ctx.config().eventBasedReconcile;
  ctx.drift?.track(name, dest, inventoryAfter, entries, eventsOn);
  const counts = countActions(all);
  // The condition message stays the same from one pass to the next (no counts), so an unchanged
  // pass writes no status; the counts go to the Event.
  const message = appliedMessage(dest, refs.length);
  const reapplyMs = reapplyInterval(ctx, vr);
  const changed = counts.changed > 0;
  const previousHealth = vr.status?.health;
  // Health is read after a prune too: objects that were deleted are no longer waited for.
  const gate =
    spec.wait && !pruneError
      ? await assessHealth(
          ctx,
          vr,
          dest,
          inventoryAfter,
          changed || vr.status?.observedGeneration !== vr.metadata.generation,
          message,
        )
      : undefined;
  // DeployState and lastError follow Ready: Running while objects roll out, Failed when unhealthy.
  const outcome = withState(
    outcomeConditions(
      vr.status?.conditions,
      pruneError
        ? { kind: "failed", reason: "PruneFailed", message: pruneError.message, stalled: false }
        : (gate?.outcome ?? { kind: "ready", reason: "Applied", message }),
      vr.metadata.generation,
      ctx.now(),
    ),
  );
  await writeStatus(ctx, vr, {
    managedResources: toManagedResources(inventoryAfter),
    managedCount: inventoryAfter.length,
    ...outcome,
    ...(changed || vr.status?.DeployState !== outcome.DeployState || !vr.status?.lastSyncTime
      ? { lastSyncTime: ctx.now().toISOString() }
      : {}),
    // Without wait there is no health to report (and a stale one is removed).
    ...(gate ? { health: gate.health } : spec.wait ? {} : { health: null }),
    observedGeneration: vr.metadata.generation,
    appliedChecksum: md5(spec.manifest ?? ""),
    lastHandledSyncRequest: vr.metadata.annotations?.[SYNC_NOW_ANNOTATION],
    destinationServer: destinationServerOf(vr),
    conflicts: [],
    ...(changed && reapplyMs > 0
      ? { nextReapplyTime: new Date(ctx.now().getTime() + reapplyMs).toISOString() }
      : {}),
  });
  const regarding = involved(vr);
  if (entries.some(e => e.action === "created" || e.action === "configured")) {
    await ctx.events.record(regarding, "Normal", "Applied", `${message}: ${counts.text}`);
  }
  if (pruned.some(e => e.action !== "skipped")) {
    const list = pruned.filter(e => e.action !== "skipped").map(e => `${e.action} ${e.subject}`);
    await ctx.events.record(
      regarding,
      "Normal",
      "Pruned",
      `pruned ${list.length} object(s): ${list.slice(0, 20).join(", ")}`,
    );
  }
  if (pruneError) {
    await ctx.events.record(regarding, "Warning", "PruneFailed", pruneError.message);
    throw pruneError;
  }
  if (gate) await recordHealthChange(ctx, vr, previousHealth, gate);
  log.debug({ counts: counts.text, health: gate?.health.status }, "applied");
  return { entries: all, recheckAfterMs: gate?.recheckAfterMs };
}

function countActions(entries: ChangeEntry[]): { changed: number; text: string } {
  const by = new Map<string, number>();
  for (const e of entries) by.set(e.action, (by.get(e.action) ?? 0) + 1);
  const order = ["created", "configured", "unchanged", "deleted", "released", "skipped"];
  const text =
    order
      .filter(a => by.get(a))
      .map(a => `${by.get(a)} ${a}`)
      .join(", ") || "nothing to do";
  const changed =
    (by.get("created") ?? 0) +
    (by.get("configured") ?? 0) +
    (by.get("deleted") ?? 0) +
    (by.get("released") ?? 0);
  return { changed, text };
}
