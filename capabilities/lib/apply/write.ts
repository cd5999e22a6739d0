import { mapSettledLimit } from "../concurrency";
import type { KubeObject } from "../kube/client";
import { KubeApiError } from "../kube/errors";
import { applyRank } from "../manifest/order";
import { formatRef } from "../manifest/ref";
import { LEGACY_MARKS_FIELD_MANAGER } from "../sync/markers";
import { OperatorError } from "../errors";
import { applyToExisting, problemFor, sleep, type Engine } from "./engine";
import { syncOwnersList, withoutOwnersList } from "./owners-list";
import { legacyMarksPatch, legacyOwnersToMark } from "./ownership";
import { takeOver } from "./take-over";
import type { Plan } from "./plan";
import { ApplyBlockedError, type ChangeEntry, type ObjectProblem } from "./types";

/** Writes the changed plans, rank by rank (objects of one rank in parallel). */
export async function writePlans(engine: Engine, plans: Plan[]): Promise<ChangeEntry[]> {
  const entries: ChangeEntry[] = [];
  const byRank = new Map<number, Plan[]>();
  for (const p of plans) {
    if (p.unchanged) {
      entries.push({ ref: p.obj.ref, subject: formatRef(p.obj.ref), action: "unchanged" });
      continue;
    }
    const rank = applyRank(p.obj.ref);
    byRank.set(rank, [...(byRank.get(rank) ?? []), p]);
  }
  for (const rank of [...byRank.keys()].sort((a, b) => a - b)) {
    const batch = byRank.get(rank) ?? [];
    const results = await mapSettledLimit(batch, engine.concurrency, p => writeOne(engine, p));
    const failed: ObjectProblem[] = [];
    results.forEach((r, i) => {
      const p = batch[i];
      if (r.status === "fulfilled") {
        entries.push({
          ref: p.obj.ref,
          subject: formatRef(p.obj.ref),
          action: p.live ? "configured" : "created",
          resourceVersion: r.value?.metadata?.resourceVersion,
        });
      } else if (r.reason instanceof KubeApiError && r.reason.retryable) {
        throw r.reason;
      } else {
        failed.push(problemFor(p.obj, r.reason));
      }
    });
    // Rare: the dry-run passed but the write did not (someone changed the object in between).
    if (failed.length) throw new ApplyBlockedError(failed, entries);
  }
  return entries;
}

async function writeOne(engine: Engine, p: Plan): Promise<KubeObject | undefined> {
  if (p.recreate && p.live) await deleteAndWait(engine, p.path, p.live);
  let live = p.recreate ? undefined : p.live;
  if (live && p.legacyOwners.length) live = await markLegacyOwners(engine, p, live);
  if (live && p.takeOver) await takeOver(engine, p.path, live, p.fieldManager, p.adopting);
  const applied = await applyPlanned(engine, p);
  return (await syncOwnersList(engine.kube, p.path, applied)) ?? applied;
}

/**
 * The planned apply. A payload carrying the owned-by list (see carriesOwnersList) conflicts when
 * another owner joined since the dry-run and the operator's list patch took the list over: then
 * it is applied without the list, which is left to that patch.
 */
async function applyPlanned(engine: Engine, p: Plan): Promise<KubeObject> {
  const opts = { fieldManager: p.fieldManager, force: p.force };
  try {
    return await engine.kube.apply<KubeObject>(p.path, p.payload, opts);
  } catch (err) {
    const unlisted = withoutOwnersList(p.payload);
    if (!(err instanceof KubeApiError && err.conflict && unlisted)) throw err;
    return engine.kube.apply<KubeObject>(p.path, unlisted, opts);
  }
}

/**
 * An object Vidra wrote lists its owners only in the comma list. Before this owner adds its own
 * mark (after which the marks alone decide), the other listed owners get theirs, in one write
 * conditional on the list read: if the list changed meanwhile, it is read and decided again.
 */
async function markLegacyOwners(
  engine: Engine,
  p: Plan,
  read: KubeObject,
): Promise<KubeObject | undefined> {
  let live: KubeObject | undefined = read;
  for (let attempt = 1; live; attempt++) {
    const owners = legacyOwnersToMark(live.metadata, p.owner.name);
    if (owners.length === 0) return live;
    try {
      return await applyToExisting(
        engine,
        p.path,
        legacyMarksPatch(live, p.obj.ref, owners),
        { fieldManager: LEGACY_MARKS_FIELD_MANAGER, force: true },
        live.metadata?.uid,
      );
    } catch (err) {
      if (!(err instanceof KubeApiError && err.conflict) || attempt >= 5) throw err;
      live = await engine.kube.getOptional<KubeObject>(p.path);
    }
  }
  return live;
}

/**
 * Deletes an object whose immutable fields change (it asked for it with the force annotation) and
 * waits until it is gone (finalizers, dependents), so it can be created anew.
 */
async function deleteAndWait(engine: Engine, path: string, live: KubeObject): Promise<void> {
  await engine.kube.delete(path, { propagationPolicy: "Background", uid: live.metadata?.uid });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const now = await engine.kube.getOptional<KubeObject>(path);
    if (!now || now.metadata?.uid !== live.metadata?.uid) return;
    if (Date.now() > deadline)
      throw new OperatorError(`${path} was not deleted within 60s; it is recreated once gone`, {
        reason: "RecreateTimeout",
        retryable: true,
      });
    await sleep(250);
  }
}
