import { mapSettledLimit } from "../concurrency";
import { errorMessage } from "../errors";
import type { KubeObject } from "../kube/client";
import { KubeApiError } from "../kube/errors";
import { applyRank, sortForDelete } from "../manifest/order";
import { formatRef } from "../manifest/ref";
import type { ObjectRef } from "../manifest/types";
import {
  formatOwners,
  MANAGED_BY_KEY,
  OPERATOR_FIELD_MANAGER,
  OWNED_BY_ANNOTATION,
  ownerMarkKey,
} from "../sync/markers";
import { applyToExisting, objectPath, serverDetail, sleep, type Engine } from "./engine";
import { syncOwnersList } from "./owners-list";
import { identityOf, ownerRefsWithoutVidra } from "./ownership";
import type { Owner } from "./plan";
import { decidePrune, type PruneDecision, type PruneMode } from "./prune-decision";
import { PruneIncompleteError, type ChangeEntry } from "./types";

/**
 * Removes an owner from objects it no longer lists: deleted when it was the only owner, released
 * when others still own it; `orphan` strips the ownership marks instead of deleting. Objects go in
 * reverse apply order, one rank at a time, so Namespaces and CRDs go last.
 */
export async function pruneAll(
  engine: Engine,
  refs: ObjectRef[],
  owner: Owner,
  mode: PruneMode,
): Promise<ChangeEntry[]> {
  const ordered = sortForDelete(refs.map(ref => ({ ref })));
  const done: ChangeEntry[] = [];
  const survivors: Array<{ ref: ObjectRef; subject: string; message: string }> = [];
  const ranks = [...new Set(ordered.map(o => applyRank(o.ref)))];
  for (const rank of ranks) {
    const batch = ordered.filter(o => applyRank(o.ref) === rank);
    const results = await mapSettledLimit(batch, engine.concurrency, o =>
      pruneOne(engine, o.ref, owner, mode),
    );
    results.forEach((r, i) => {
      const ref = batch[i].ref;
      if (r.status === "fulfilled") done.push(r.value);
      else survivors.push({ ref, subject: formatRef(ref), message: failureText(r.reason) });
    });
  }
  if (survivors.length) throw new PruneIncompleteError(survivors, done);
  return done;
}

/**
 * Owners may join and leave a shared object at the same moment. Each decision is carried out by a
 * write conditional on the resourceVersion it was made on; on a conflict the object is read again
 * and the decision made anew, so the last owner to leave deletes and no owner's leaving deletes an
 * object another still marks.
 */
async function pruneOne(
  engine: Engine,
  ref: ObjectRef,
  owner: Owner,
  mode: PruneMode,
): Promise<ChangeEntry> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await pruneOnce(engine, ref, owner, mode);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.conflict) || attempt >= 10) throw err;
      await sleep(Math.random() * 50 * attempt);
    }
  }
}

async function pruneOnce(
  engine: Engine,
  ref: ObjectRef,
  owner: Owner,
  mode: PruneMode,
): Promise<ChangeEntry> {
  const subject = formatRef(ref);
  const info = await engine.mapper.resolve(ref.apiVersion, ref.kind);
  if (!info)
    return {
      ref,
      subject,
      action: "skipped",
      message: "its kind is no longer served; nothing to delete",
    };
  const path = objectPath(info, ref);
  const live = await engine.kube.getOptional<KubeObject>(path);
  const decision = decidePrune(live, owner.name, mode, hasOwnFields(live, owner));
  const resourceVersion = live?.metadata?.resourceVersion;
  switch (decision.action) {
    case "skip":
      if (decision.giveUp && live) {
        // The fields given up may include the owned-by list (this owner's apply set it).
        const after = await giveUpFields(engine, path, live, ref, owner).catch(err => {
          if (!(err instanceof KubeApiError && err.conflict)) throw err;
          return undefined;
        });
        if (after) await syncOwnersList(engine.kube, path, after);
      }
      return { ref, subject, action: "skipped", message: decision.message };
    case "release": {
      // Giving up this owner's fields removes its mark too (it alone applied it), conditional on
      // the version decided on: the release is decided by this write when there is one.
      let after: KubeObject | undefined = live;
      if (hasOwnFields(live, owner)) {
        after = await giveUpFields(engine, path, live!, ref, owner);
        if (!after) return { ref, subject, action: "skipped", message: "already gone" };
      }
      if (needsReleasePatch(after!, owner.name, decision))
        after = await engine.kube.mergePatch<KubeObject>(
          path,
          releasePatch(after!, owner.name, decision),
          { fieldManager: OPERATOR_FIELD_MANAGER },
        );
      await syncOwnersList(engine.kube, path, after!);
      return {
        ref,
        subject,
        action: "released",
        message: `still listed by ${decision.others.join(", ")}`,
      };
    }
    case "orphan":
      await engine.kube.mergePatch(
        path,
        {
          metadata: {
            resourceVersion,
            ...ownerRefsPatch(live!),
            labels: { [MANAGED_BY_KEY]: null },
            annotations: {
              [MANAGED_BY_KEY]: null,
              [OWNED_BY_ANNOTATION]: null,
              [ownerMarkKey(owner.name)]: null,
            },
          },
        },
        { fieldManager: OPERATOR_FIELD_MANAGER },
      );
      return { ref, subject, action: "orphaned" };
    case "delete":
      await engine.kube.delete(path, {
        propagationPolicy: "Background",
        uid: live?.metadata?.uid,
        resourceVersion,
      });
      return { ref, subject, action: "deleted" };
  }
}

/**
 * The decision write of a release, conditional on the version decided on: this owner's mark (or,
 * on an object Vidra wrote, its entry in the list) goes.
 */
function releasePatch(
  live: KubeObject,
  owner: string,
  d: Extract<PruneDecision, { action: "release" }>,
): unknown {
  return {
    metadata: {
      resourceVersion: live.metadata?.resourceVersion,
      ...ownerRefsPatch(live),
      annotations: d.legacy
        ? { [OWNED_BY_ANNOTATION]: formatOwners(d.others) }
        : { [ownerMarkKey(owner)]: null },
    },
  };
}

function needsReleasePatch(
  live: KubeObject,
  owner: string,
  d: Extract<PruneDecision, { action: "release" }>,
): boolean {
  const annotations = live.metadata?.annotations ?? {};
  if (ownerRefsWithoutVidra(live)) return true;
  return d.legacy
    ? annotations[OWNED_BY_ANNOTATION] !== formatOwners(d.others)
    : ownerMarkKey(owner) in annotations;
}

/**
 * Vidra's owner references to VidraResources go whenever an owner leaves an object it does not
 * delete: garbage collection would otherwise delete an orphaned object, or a shared one when the
 * VidraResource it points at goes.
 */
function ownerRefsPatch(live: KubeObject): { ownerReferences?: unknown } {
  const kept = ownerRefsWithoutVidra(live);
  if (!kept) return {};
  return { ownerReferences: kept.length ? kept : null };
}

function hasOwnFields(live: KubeObject | undefined, owner: Owner): boolean {
  return !!live?.metadata?.managedFields?.some(
    f => f.manager === owner.fieldManager && f.operation === "Apply" && !f.subresource,
  );
}

/**
 * Applying only the identity gives up every field this owner alone set (its mark included); fields
 * others set stay. Conditional on the version read (a conflict makes the caller decide again).
 * Giving up a field the object cannot do without (the others' manifests lack it) is refused by
 * validation: then the fields stay, owned by this manager, and only the mark is removed.
 */
async function giveUpFields(
  engine: Engine,
  path: string,
  live: KubeObject,
  ref: ObjectRef,
  owner: Owner,
): Promise<KubeObject | undefined> {
  const id = identityOf(live, ref);
  id.metadata = { ...id.metadata, resourceVersion: live.metadata?.resourceVersion };
  try {
    return await applyToExisting(
      engine,
      path,
      id,
      { fieldManager: owner.fieldManager, force: true },
      live.metadata?.uid,
    );
  } catch (err) {
    if (err instanceof KubeApiError && (err.status === 422 || err.status === 500) && !err.retryable)
      return live;
    throw err;
  }
}

/** The server's words about a refused delete; the whole message when nothing came back. */
function failureText(err: unknown): string {
  return err instanceof KubeApiError && err.status !== 0 ? serverDetail(err) : errorMessage(err);
}
