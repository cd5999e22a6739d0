import { createHash } from "node:crypto";
import { fromManagedResources, removedFrom, toManagedResources } from "../apply/inventory";
import { ApplyBlockedError, PruneIncompleteError, type ChangeEntry } from "../apply/types";
import { errorMessage, isRetryable, OperatorError } from "../errors";
import type { KubeClient } from "../kube/client";
import { KubeApiError } from "../kube/errors";
import type { Logger } from "../logger";
import { sharedParses } from "../manifest/parse-cache";
import { refKey } from "../manifest/ref";
import type { ObjectRef } from "../manifest/types";
import type { ReconcileResult } from "../queue/types";
import { patchStatusIfChanged } from "../status/status-diff";
import { outcomeConditions, type Condition } from "../status/conditions";
import { stateOf } from "../status/state";
import type { EventRecorder } from "../status/events";
import { checkDestinationUnchanged, destinationServerOf } from "./destination-moved";
import type { Destination, DestinationResolver } from "./destinations";
import { DEFAULT_HEALTH_TIMEOUT_MS, healthGate, type HealthGateResult } from "./health-gate";
import { intervalMs } from "./intervals";
import {
  involvedObject,
  ownerFieldManager,
  SUSPENDED_BY_SYNC_ANNOTATION,
  SYNC_NOW_ANNOTATION,
  VIDRA_RESOURCE_FINALIZER,
} from "./markers";
import type { OperatorConfig } from "./operator-config";
import { secretsIn, SecretsRefusedError } from "./secret-policy";
import { destinationFor, validateForDestination } from "./apply-target";
import { vidraResourcePath, type HealthStatusField, type VidraResourceObject } from "./resources";

/** What the drift watch needs to know after each apply. */
export interface DriftTracker {
  track(
    owner: string,
    dest: Destination,
    refs: ObjectRef[],
    writes: ChangeEntry[],
    enabled: boolean,
  ): void;
  forget(owner: string): void;
}

export interface VidraResourceReconcilerDeps {
  /** The operator's own identity: the VidraResource itself (status, finalizer), never its objects. */
  kube: KubeClient;
  /** Namespaces whose objects are never adopted (see protectedNamespaces). */
  protectedNamespaces?: ReadonlySet<string>;
  destinations: DestinationResolver;
  config: () => OperatorConfig;
  events: EventRecorder;
  logger: Logger;
  drift?: DriftTracker;
  /** Whether this watcher's shard holds a VidraResource with these labels (default: every one). */
  owns?: (labels: Record<string, string> | undefined) => boolean;
  now?: () => Date;
  /** Called with the outcome of every reconcile (metrics). */
  onOutcome?: (o: {
    name: string;
    result: "applied" | "unchanged" | "failed" | "deleted" | "suspended" | "health-check";
    entries: ChangeEntry[];
    durationMs: number;
  }) => void;
}

type StatusPatch = NonNullable<VidraResourceObject["status"]>;

const KIND_RETRY_BASE_MS = 5_000;
const KIND_RETRY_MAX_MS = 60_000;

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

/**
 * Keeps one VidraResource's manifest applied on its destination: parse, validate, dry-run, apply what
 * changed, prune what left, record the inventory, and clean up through the finalizer on deletion.
 */
export class VidraResourceReconciler {
  /** Consecutive UnknownKind failures by VidraResource, for the short retry (see kindRetryMs). */
  private readonly kindWaits = new Map<string, number>();
  /**
   * The last full pass that succeeded, per VidraResource (in memory: a restart makes one full pass).
   * While objects roll out, the passes in between only read their health, unless the spec changed,
   * a sync was asked for, drift was seen or the re-apply is due.
   */
  private readonly applied = new Map<
    string,
    { generation: number | undefined; syncNow: string | undefined; at: number }
  >();

  constructor(private readonly deps: VidraResourceReconcilerDeps) {}

  /** The next pass must apply again (drift was seen on one of its objects). */
  markDrifted(name: string): void {
    this.applied.delete(name);
  }

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const started = Date.now();
    const vr = await this.deps.kube.getOptional<VidraResourceObject>(vidraResourcePath(name));
    if (!vr || (this.deps.owns && !this.deps.owns(vr.metadata.labels))) {
      this.deps.drift?.forget(name);
      this.deps.destinations.release(name);
      this.kindWaits.delete(name);
      return;
    }
    const log = this.deps.logger.child({ vidraResource: name, generation: vr.metadata.generation });
    if (vr.metadata.deletionTimestamp) {
      await this.finalize(vr, log);
      this.deps.onOutcome?.({
        name,
        result: "deleted",
        entries: [],
        durationMs: Date.now() - started,
      });
      return;
    }
    const current = await this.ensureFinalizer(vr);
    const spec = current.spec ?? {};
    if (spec.suspend) {
      // No apply, no prune, no drift repair, no health checks until resumed.
      this.applied.delete(name);
      this.deps.drift?.forget(name);
      const bySync = current.metadata.annotations?.[SUSPENDED_BY_SYNC_ANNOTATION];
      await this.writeStatus(current, {
        ...withState(
          outcomeConditions(
            current.status?.conditions,
            {
              kind: "failed",
              reason: "Suspended",
              message: bySync
                ? `suspended with its InfrahubSync ${bySync}; nothing is applied, pruned or repaired until the sync is resumed`
                : "spec.suspend is true; nothing is applied, pruned or repaired",
              stalled: false,
            },
            current.metadata.generation,
            this.now(),
          ),
        ),
        observedGeneration: current.metadata.generation,
        // Answered, though nothing was done: a waiting `vidra reconcile` learns it is suspended.
        lastHandledSyncRequest: current.metadata.annotations?.[SYNC_NOW_ANNOTATION],
      });
      this.deps.onOutcome?.({
        name,
        result: "suspended",
        entries: [],
        durationMs: Date.now() - started,
      });
      return;
    }
    const reapplyMs = this.reapplyInterval(current);
    if (spec.wait && this.onlyHealthIsDue(current, reapplyMs)) {
      try {
        const result = await this.recheckHealth(current, reapplyMs);
        this.deps.onOutcome?.({
          name,
          result: "health-check",
          entries: [],
          durationMs: Date.now() - started,
        });
        return result;
      } catch (err) {
        // A full pass reports what went wrong (an unreachable destination, say).
        log.debug({ err: errorMessage(err) }, "health check failed; applying again");
        this.applied.delete(name);
      }
    }
    try {
      const { entries, recheckAfterMs } = await this.applyAndPrune(current, log);
      this.kindWaits.delete(name);
      this.applied.set(name, {
        generation: current.metadata.generation,
        syncNow: current.metadata.annotations?.[SYNC_NOW_ANNOTATION],
        at: Date.now(),
      });
      const changed = entries.some(e => e.action !== "unchanged" && e.action !== "skipped");
      this.deps.onOutcome?.({
        name,
        result: changed ? "applied" : "unchanged",
        entries,
        durationMs: Date.now() - started,
      });
      if (recheckAfterMs !== undefined) return { requeueAfterMs: recheckAfterMs };
      return reapplyMs > 0 ? { requeueAfterMs: reapplyMs } : undefined;
    } catch (err) {
      this.applied.delete(name);
      this.deps.onOutcome?.({
        name,
        result: "failed",
        entries: [],
        durationMs: Date.now() - started,
      });
      const retryMs = this.kindRetryMs(name, err);
      await this.recordFailure(current, err, log, retryMs);
      if (retryMs !== undefined) return { requeueAfterMs: retryMs };
      if (isRetryable(err)) throw err;
      // A person must change something; still look again at the re-apply interval, since the
      // obstacle (an object in the way, another owner) may go away on its own.
      return reapplyMs > 0 ? { requeueAfterMs: reapplyMs } : undefined;
    }
  }

  /**
   * A kind the destination does not serve usually means its CRD is still on its way (installed by
   * another tool, or by another artifact): try again soon, 5 s doubling to a minute, and show when in
   * status, instead of waiting for the re-apply interval. Undefined for any other failure.
   */
  private kindRetryMs(name: string, err: unknown): number | undefined {
    if (!(err instanceof OperatorError) || err.reason !== "UnknownKind") {
      this.kindWaits.delete(name);
      return undefined;
    }
    const failures = (this.kindWaits.get(name) ?? 0) + 1;
    this.kindWaits.set(name, failures);
    return Math.min(KIND_RETRY_MAX_MS, KIND_RETRY_BASE_MS * 2 ** Math.min(failures - 1, 10));
  }

  private reapplyInterval(vr: VidraResourceObject): number {
    return intervalMs(vr.spec?.reapplyInterval, this.deps.config().requeueResourcesAfterMs);
  }

  private async ensureFinalizer(vr: VidraResourceObject): Promise<VidraResourceObject> {
    const finalizers = vr.metadata.finalizers ?? [];
    if (finalizers.includes(VIDRA_RESOURCE_FINALIZER)) return vr;
    return this.deps.kube.mergePatch<VidraResourceObject>(vidraResourcePath(vr.metadata.name), {
      metadata: {
        finalizers: [...finalizers, VIDRA_RESOURCE_FINALIZER],
        resourceVersion: vr.metadata.resourceVersion,
      },
    });
  }

  private async applyAndPrune(
    vr: VidraResourceObject,
    log: Logger,
  ): Promise<{ entries: ChangeEntry[]; recheckAfterMs?: number }> {
    const spec = vr.spec ?? {};
    const name = vr.metadata.name;
    const owner = { name, fieldManager: ownerFieldManager(name) };
    checkDestinationUnchanged(vr);
    const dest = await this.destinationOf(name, spec);
    const previous = fromManagedResources(vr.status?.managedResources);
    const manifest = spec.manifest ?? "";
    const parsed = sharedParses.parse(manifest);
    if (this.deps.config().refuseSecrets) {
      const secrets = secretsIn(parsed);
      if (secrets.length) throw new SecretsRefusedError(secrets);
    }
    if (parsed.length === 0 && !spec.allowEmpty) throw new EmptyManifestError(previous.length);
    const objects = await validateForDestination(parsed, dest, spec, this.deps.config().tenancy);
    const refs = objects.map(o => o.ref);
    const inventory = new Set(previous.map(refKey));

    let entries: ChangeEntry[];
    try {
      entries = await dest.resources
        .as(owner)
        .adopting(spec.adoption ?? "Refuse")
        .protecting(this.deps.protectedNamespaces ?? new Set())
        .knowing(inventory)
        .recordingIntent(async planned => {
          // Before anything is written the inventory lists every object that may be: killed
          // mid-apply, the operator then prunes the ones the manifest no longer has.
          const intent = [...previous, ...removedFrom(planned, previous)];
          if (intent.length > previous.length)
            await this.writeStatus(vr, {
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
        await this.writeStatus(vr, {
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
    const eventsOn =
      !!spec.destination?.reconcileOnEvents || this.deps.config().eventBasedReconcile;
    this.deps.drift?.track(name, dest, inventoryAfter, entries, eventsOn);
    const counts = countActions(all);
    // The condition message stays the same from one pass to the next (no counts), so an unchanged
    // pass writes no status; the counts go to the Event.
    const where = dest.key === "local" ? "this cluster" : dest.server;
    const as = dest.identity.user ? ` as ${dest.identity.description}` : "";
    const message = `${refs.length} object(s) applied to ${where}${as}`;
    const reapplyMs = this.reapplyInterval(vr);
    const changed = counts.changed > 0;
    const previousHealth = vr.status?.health;
    // Health is read after a prune too: objects that were deleted are no longer waited for.
    const gate =
      spec.wait && !pruneError
        ? await this.assessHealth(
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
        this.now(),
      ),
    );
    await this.writeStatus(vr, {
      managedResources: toManagedResources(inventoryAfter),
      managedCount: inventoryAfter.length,
      ...outcome,
      ...(changed || vr.status?.DeployState !== outcome.DeployState || !vr.status?.lastSyncTime
        ? { lastSyncTime: this.now().toISOString() }
        : {}),
      // Without wait there is no health to report (and a stale one is removed).
      ...(gate ? { health: gate.health } : spec.wait ? {} : { health: null }),
      observedGeneration: vr.metadata.generation,
      appliedChecksum: md5(spec.manifest ?? ""),
      lastHandledSyncRequest: vr.metadata.annotations?.[SYNC_NOW_ANNOTATION],
      destinationServer: destinationServerOf(vr),
      conflicts: [],
      ...(changed && reapplyMs > 0
        ? { nextReapplyTime: new Date(this.now().getTime() + reapplyMs).toISOString() }
        : {}),
    });
    const involved = this.involved(vr);
    if (entries.some(e => e.action === "created" || e.action === "configured")) {
      await this.deps.events.record(involved, "Normal", "Applied", `${message}: ${counts.text}`);
    }
    if (pruned.some(e => e.action !== "skipped")) {
      const list = pruned.filter(e => e.action !== "skipped").map(e => `${e.action} ${e.subject}`);
      await this.deps.events.record(
        involved,
        "Normal",
        "Pruned",
        `pruned ${list.length} object(s): ${list.slice(0, 20).join(", ")}`,
      );
    }
    if (pruneError) {
      await this.deps.events.record(involved, "Warning", "PruneFailed", pruneError.message);
      throw pruneError;
    }
    if (gate) await this.recordHealthChange(vr, previousHealth, gate);
    log.debug({ counts: counts.text, health: gate?.health.status }, "applied");
    return { entries: all, recheckAfterMs: gate?.recheckAfterMs };
  }

  /**
   * A pass that only reads health: due while the objects roll out, until the spec changes, a sync
   * is asked for, drift is seen or the re-apply interval comes round.
   */
  private onlyHealthIsDue(vr: VidraResourceObject, reapplyMs: number): boolean {
    const last = this.applied.get(vr.metadata.name);
    return (
      !!last &&
      vr.status?.health?.status === "Progressing" &&
      vr.status.observedGeneration === vr.metadata.generation &&
      last.generation === vr.metadata.generation &&
      last.syncNow === vr.metadata.annotations?.[SYNC_NOW_ANNOTATION] &&
      (reapplyMs <= 0 || Date.now() < last.at + reapplyMs)
    );
  }

  private async recheckHealth(
    vr: VidraResourceObject,
    reapplyMs: number,
  ): Promise<ReconcileResult> {
    const spec = vr.spec ?? {};
    const dest = await this.destinationOf(vr.metadata.name, spec);
    const refs = fromManagedResources(vr.status?.managedResources);
    const where = dest.key === "local" ? "this cluster" : dest.server;
    const as = dest.identity.user ? ` as ${dest.identity.description}` : "";
    const previousHealth = vr.status?.health;
    // The same message as the full pass's, so a re-check that finds nothing new writes nothing.
    const gate = await this.assessHealth(
      vr,
      dest,
      refs,
      false,
      `${refs.length} object(s) applied to ${where}${as}`,
    );
    await this.writeStatus(vr, {
      ...withState(
        outcomeConditions(vr.status?.conditions, gate.outcome, vr.metadata.generation, this.now()),
      ),
      health: gate.health,
    });
    await this.recordHealthChange(vr, previousHealth, gate);
    if (gate.recheckAfterMs !== undefined) return { requeueAfterMs: gate.recheckAfterMs };
    const last = this.applied.get(vr.metadata.name);
    if (reapplyMs <= 0 || !last) return undefined;
    return { requeueAfterMs: Math.max(0, last.at + reapplyMs - Date.now()) };
  }

  private async assessHealth(
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
      now: this.now(),
      applied,
    });
  }

  /** An Event when the objects become healthy again, or stop being healthy. */
  private async recordHealthChange(
    vr: VidraResourceObject,
    previous: HealthStatusField | null | undefined,
    gate: HealthGateResult,
  ): Promise<void> {
    const before = previous?.status;
    const after = gate.health.status;
    if (after === before) return;
    if (after === "Unhealthy")
      await this.deps.events.record(
        this.involved(vr),
        "Warning",
        "HealthCheckFailed",
        gate.outcome.message,
      );
    else if (after === "Healthy" && before)
      await this.deps.events.record(this.involved(vr), "Normal", "Healthy", gate.outcome.message);
  }

  /** The destination as this resource's identity (see ./apply-target). */
  private destinationOf(
    name: string,
    spec: NonNullable<VidraResourceObject["spec"]>,
  ): Promise<Destination> {
    return destinationFor(this.deps.destinations, name, spec, this.deps.config().tenancy);
  }

  private involved(vr: VidraResourceObject) {
    return involvedObject("VidraResource", vr);
  }

  private async recordFailure(
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
    await this.writeStatus(vr, {
      ...withState(
        outcomeConditions(
          vr.status?.conditions,
          { kind: "failed", reason, message, stalled: !retryable },
          vr.metadata.generation,
          this.now(),
        ),
      ),
      observedGeneration: vr.metadata.generation,
      conflicts,
      lastHandledSyncRequest: vr.metadata.annotations?.[SYNC_NOW_ANNOTATION],
      ...(retryMs !== undefined
        ? { nextReapplyTime: new Date(this.now().getTime() + retryMs).toISOString() }
        : {}),
    }).catch(e => log.warn({ err: errorMessage(e) }, "could not write status"));
    if (!(err instanceof PruneIncompleteError))
      await this.deps.events.record(this.involved(vr), "Warning", reason, message);
  }

  private writeStatus(vr: VidraResourceObject, patch: Partial<StatusPatch>): Promise<void> {
    return patchStatusIfChanged(this.deps.kube, vidraResourcePath(vr.metadata.name), vr, patch);
  }

  private async finalize(vr: VidraResourceObject, log: Logger): Promise<void> {
    const finalizers = vr.metadata.finalizers ?? [];
    if (!finalizers.includes(VIDRA_RESOURCE_FINALIZER)) return;
    const spec = vr.spec ?? {};
    const name = vr.metadata.name;
    // Objects about to be pruned are not drift.
    this.deps.drift?.forget(name);
    const refs = fromManagedResources(vr.status?.managedResources);
    const mode = spec.deletionPolicy === "Orphan" ? "orphan" : "delete";
    if (refs.length) {
      checkDestinationUnchanged(vr);
      const dest = await this.destinationOf(name, spec);
      const scope = dest.resources.as({ name, fieldManager: ownerFieldManager(name) });
      try {
        const done = await (mode === "orphan" ? scope.orphan(refs) : scope.prune(refs));
        const acted = done.filter(e => e.action !== "skipped").map(e => `${e.action} ${e.subject}`);
        if (acted.length) {
          await this.deps.events.record(
            this.involved(vr),
            "Normal",
            mode === "orphan" ? "Orphaned" : "Pruned",
            `cleanup on deletion: ${acted.slice(0, 20).join(", ")}`,
          );
        }
      } catch (err) {
        if (err instanceof PruneIncompleteError) {
          const left = err.survivors.map(s => s.ref);
          await this.writeStatus(vr, {
            managedResources: toManagedResources(left),
            managedCount: left.length,
            ...withState(
              outcomeConditions(
                vr.status?.conditions,
                { kind: "failed", reason: "CleanupFailed", message: err.message, stalled: false },
                vr.metadata.generation,
                this.now(),
              ),
            ),
          });
          await this.deps.events.record(this.involved(vr), "Warning", "CleanupFailed", err.message);
        }
        throw err;
      }
    }
    this.deps.drift?.forget(name);
    await this.deps.kube
      .mergePatch(vidraResourcePath(name), {
        metadata: {
          finalizers: finalizers.filter(f => f !== VIDRA_RESOURCE_FINALIZER),
          resourceVersion: vr.metadata.resourceVersion,
        },
      })
      .catch(err => {
        if (err instanceof KubeApiError && err.notFound) return;
        throw err;
      });
    log.info({ objects: refs.length, mode }, "cleaned up and released the finalizer");
  }
}

/** Conditions with the DeployState and lastError they imply (see stateOf). */
function withState(
  conditions: Condition[],
): Pick<StatusPatch, "conditions" | "DeployState" | "lastError"> {
  const { state, lastError } = stateOf(conditions);
  return { conditions, DeployState: state, lastError };
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
