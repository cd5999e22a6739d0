import { isDeepStrictEqual } from "node:util";
import { mapSettledLimit } from "../concurrency";
import { errorMessage } from "../errors";
import type { KubeClient, KubeObject } from "../kube/client";
import { resourcePath } from "../kube/client";
import type { ResourceInfo, ResourceMapper } from "../kube/discovery";
import { KubeApiError } from "../kube/errors";
import { applyRank, isFoundation, sortForDelete } from "../manifest/order";
import { formatRef, refKey } from "../manifest/ref";
import type { NormalizedObject, ObjectRef } from "../manifest/types";
import {
  formatOwners,
  isManagedByVidra,
  MANAGED_BY_KEY,
  MANAGED_BY_VALUE,
  OWNED_BY_ANNOTATION,
  parseOwners,
} from "../sync/markers";
import { OwnerScope } from "./owner-scope";
import { conflictingOwners, contentConflicts, forceIsSafe, parseConflicts } from "./conflicts";
import {
  ApplyBlockedError,
  PruneIncompleteError,
  type ChangeEntry,
  type ObjectProblem,
} from "./types";

/** Objects carrying this annotation with value "disabled" are never deleted by pruning. */
export const PRUNE_ANNOTATION = "infrahub.operators.com/prune";

export interface Owner {
  /** The VidraResource's name, as listed in the owned-by annotation. */
  name: string;
  /** Its own field manager (see ownerFieldManager). */
  fieldManager: string;
}

export interface ApplyOptions {
  adoption: "Refuse" | "Adopt";
  /**
   * refKeys of the objects this owner already manages (its inventory). Such an object stays this
   * owner's even when someone stripped its marks; they are put back.
   */
  inventory?: ReadonlySet<string>;
}

interface Plan {
  obj: NormalizedObject;
  info: ResourceInfo;
  path: string;
  payload: KubeObject;
  fieldManager: string;
  force: boolean;
  /**
   * Taking over an object nobody manages: it is replaced (PUT) with the manifest's content first,
   * so fields others set and the manifest does not have go away, then applied to own its fields.
   */
  adopt: boolean;
  /** The PUT body when adopting: the payload with the live object's resourceVersion. */
  replacement?: KubeObject;
  exists: boolean;
  unchanged: boolean;
}

interface PlanContext {
  /** Namespaces the set creates that do not exist yet. */
  missingNamespaces: ReadonlySet<string>;
  /** `group/Kind` of the CRDs the set creates. */
  kindsInSet: ReadonlySet<string>;
}

/** Below this many objects of one type in one namespace, single GETs are cheaper than a LIST. */
const LIST_THRESHOLD = 5;

type Planned = { plan: Plan } | { problem: ObjectProblem } | { deferred: NormalizedObject };

/** Fields the API server rewrites on every write and that say nothing about the object's content. */
function comparable(o: KubeObject): unknown {
  const meta = { ...(o.metadata ?? {}) };
  meta.managedFields = (meta.managedFields ?? []).map(
    ({ time: _t, ...rest }: Record<string, unknown>) => rest,
  );
  return { ...o, metadata: meta };
}

const CRD_GROUP = "apiextensions.k8s.io";

/**
 * Server-side apply for objects of any kind, on one cluster, for one owner at a time.
 *
 * apply(): every object is dry-run first (with the owner's field manager); only when the whole set
 * passes is anything written, and then only the objects whose dry-run result differs from the live
 * object, so re-applying an unchanged manifest writes nothing. CRDs and Namespaces go first (objects
 * inside a new Namespace or of a new kind can only be dry-run once those exist).
 *
 * prune(): deletes objects this owner alone lists; an object other owners still list is released
 * instead (this owner's fields and name are removed, the object stays).
 */
export class ResourceManager {
  constructor(
    private readonly kube: KubeClient,
    private readonly mapper: ResourceMapper,
    private readonly opts: { concurrency?: number; crdEstablishTimeoutMs?: number } = {},
  ) {}

  /** The fluent API for one owner: `resources.as(owner).adopting("Adopt").apply(objects)`. */
  as(owner: Owner): OwnerScope {
    return new OwnerScope(this, owner);
  }

  private get concurrency(): number {
    return this.opts.concurrency ?? 16;
  }

  private pathFor(info: ResourceInfo, ref: ObjectRef): string {
    return resourcePath({
      group: info.group,
      version: info.version,
      plural: info.plural,
      namespace: info.namespaced ? ref.namespace : undefined,
      name: ref.name,
    });
  }

  async apply(
    objects: NormalizedObject[],
    owner: Owner,
    opts: ApplyOptions,
  ): Promise<ChangeEntry[]> {
    const newKinds = new Set(
      objects
        .filter(o => o.ref.group === CRD_GROUP && o.ref.kind === "CustomResourceDefinition")
        .map(o => crdKindKey(o.object)),
    );
    // Objects inside a Namespace this set creates cannot be read or dry-run before it exists.
    const missingNamespaces = await this.missingNamespaces(objects);
    const first = await this.planAll(objects, owner, opts, {
      missingNamespaces,
      kindsInSet: newKinds,
    });
    const problems = first.flatMap(p => ("problem" in p ? [p.problem] : []));
    if (problems.length) throw new ApplyBlockedError(problems);

    const plans = first.flatMap(p => ("plan" in p ? [p.plan] : []));
    const deferred = first.flatMap(p => ("deferred" in p ? [p.deferred] : []));
    const entries: ChangeEntry[] = [];
    if (deferred.length === 0) {
      entries.push(...(await this.write(plans)));
      return entries;
    }
    // Objects in a Namespace, or of a kind, that this set creates: write the foundation, then plan them.
    const foundation = plans.filter(p => isFoundation(p.obj.ref));
    entries.push(...(await this.write(foundation)));
    await this.waitForCrds(foundation.filter(p => p.obj.ref.kind === "CustomResourceDefinition"));
    const second = await this.planAll(deferred, owner, opts, {
      missingNamespaces: new Set(),
      kindsInSet: new Set(),
    });
    const late = second.flatMap(p =>
      "problem" in p ? [p.problem] : "deferred" in p ? [unknownKind(p.deferred)] : [],
    );
    if (late.length) throw new ApplyBlockedError(late, entries);
    const rest = [
      ...plans.filter(p => !isFoundation(p.obj.ref)),
      ...second.flatMap(p => ("plan" in p ? [p.plan] : [])),
    ];
    entries.push(...(await this.write(rest)));
    return entries;
  }

  private async missingNamespaces(objects: NormalizedObject[]): Promise<Set<string>> {
    const created = objects
      .filter(o => o.ref.group === "" && o.ref.kind === "Namespace")
      .map(o => o.ref.name);
    const missing = new Set<string>();
    await mapSettledLimit(created, this.concurrency, async ns => {
      if (!(await this.kube.getOptional(`/api/v1/namespaces/${encodeURIComponent(ns)}`)))
        missing.add(ns);
    });
    return missing;
  }

  /**
   * Reads the live objects in bulk: one LIST per resource type and namespace holding several of
   * the set's objects, instead of a GET each. Returns refKey → object, or null for "does not
   * exist"; objects not covered are read one by one.
   */
  private async prefetch(
    objects: NormalizedObject[],
    missing: ReadonlySet<string>,
  ): Promise<Map<string, KubeObject | null>> {
    const groups = new Map<string, { info: ResourceInfo; namespace?: string; refs: ObjectRef[] }>();
    for (const { ref } of objects) {
      if (ref.namespace && missing.has(ref.namespace)) continue;
      const info = await this.mapper.resolve(ref.apiVersion, ref.kind);
      if (!info || !info.verbs.includes("list")) continue;
      const namespace = info.namespaced ? ref.namespace : undefined;
      const key = `${info.group}/${info.version}/${info.plural}/${namespace ?? ""}`;
      const g = groups.get(key) ?? { info, namespace, refs: [] };
      g.refs.push(ref);
      groups.set(key, g);
    }
    const live = new Map<string, KubeObject | null>();
    const big = [...groups.values()].filter(g => g.refs.length >= LIST_THRESHOLD);
    await mapSettledLimit(big, this.concurrency, async g => {
      const { info, namespace } = g;
      const path = resourcePath({
        group: info.group,
        version: info.version,
        plural: info.plural,
        namespace,
      });
      const byName = new Map(
        (await this.kube.list<KubeObject>(path)).items.map(o => [o.metadata?.name ?? "", o]),
      );
      for (const ref of g.refs) {
        const found = byName.get(ref.name);
        // A LIST item lacks apiVersion/kind; the comparison with the dry-run result needs them.
        live.set(
          refKey(ref),
          found
            ? {
                apiVersion: `${info.group ? `${info.group}/` : ""}${info.version}`,
                kind: info.kind,
                ...found,
              }
            : null,
        );
      }
    });
    return live;
  }

  private async planAll(
    objects: NormalizedObject[],
    owner: Owner,
    opts: ApplyOptions,
    ctx: PlanContext,
  ): Promise<Planned[]> {
    const live = await this.prefetch(objects, ctx.missingNamespaces);
    const results = await mapSettledLimit(objects, this.concurrency, obj =>
      this.planOne(obj, owner, opts, ctx, live),
    );
    return results.map((r, i) => {
      if (r.status === "fulfilled") return r.value;
      // Transient failures (the API server is unwell) abort the whole apply; it is retried later.
      if (r.reason instanceof KubeApiError && r.reason.retryable) throw r.reason;
      return { problem: problemFor(objects[i], r.reason) };
    });
  }

  private async planOne(
    obj: NormalizedObject,
    owner: Owner,
    opts: ApplyOptions,
    ctx: PlanContext,
    prefetched: Map<string, KubeObject | null>,
  ): Promise<Planned> {
    const { ref } = obj;
    const subject = formatRef(ref);
    if (ref.namespace && ctx.missingNamespaces.has(ref.namespace)) return { deferred: obj };
    const info = await this.mapper.resolve(ref.apiVersion, ref.kind);
    if (!info) {
      if (ctx.kindsInSet.has(`${ref.group}/${ref.kind}`)) return { deferred: obj };
      return {
        problem: {
          ref,
          subject,
          kind: "unknown-kind",
          message: `the cluster serves no kind ${ref.kind} in ${ref.apiVersion}`,
        },
      };
    }
    const path = this.pathFor(info, ref);
    const cached = prefetched.get(refKey(ref));
    const live =
      cached === undefined ? await this.kube.getOptional<KubeObject>(path) : (cached ?? undefined);
    const owners = parseOwners(live?.metadata?.annotations?.[OWNED_BY_ANNOTATION]);
    let force = false;
    let adopt = false;
    if (live && !isManagedByVidra(live.metadata)) {
      if (opts.adoption !== "Adopt" && !opts.inventory?.has(refKey(ref))) {
        return {
          problem: {
            ref,
            subject,
            kind: "refused",
            message:
              "already exists and is not managed by vidra; set adoption: Adopt to take it over, or delete it",
          },
        };
      }
      force = true;
      adopt = !opts.inventory?.has(refKey(ref));
    }
    const payload = withMarks(obj.object, formatOwners([...owners, owner.name]));
    const replacement = adopt && live ? replacementOf(payload, live) : undefined;
    let dry: KubeObject;
    try {
      dry = replacement
        ? await this.kube.replace<KubeObject>(path, replacement, {
            fieldManager: owner.fieldManager,
            dryRun: true,
          })
        : await this.kube.apply<KubeObject>(path, payload, {
            fieldManager: owner.fieldManager,
            force,
            dryRun: true,
          });
    } catch (err) {
      if (err instanceof KubeApiError && err.conflict && !force) {
        const conflicts = parseConflicts(err.causes, err.message);
        if (!forceIsSafe(conflicts)) {
          const others = conflictingOwners(conflicts).map(m => m.replace(/^vidra-pepr\//, ""));
          const fields = contentConflicts(conflicts)
            .map(c => c.field)
            .filter(Boolean)
            .slice(0, 5)
            .join(", ");
          return {
            problem: {
              ref,
              subject,
              kind: "conflict",
              message: `VidraResource ${others.join(", ")} sets ${fields || "the same fields"} to other values; not overwriting it`,
            },
          };
        }
        force = true;
        dry = await this.kube.apply<KubeObject>(path, payload, {
          fieldManager: owner.fieldManager,
          force,
          dryRun: true,
        });
      } else {
        throw err;
      }
    }
    const unchanged = !!live && isDeepStrictEqual(comparable(dry), comparable(live));
    return {
      plan: {
        obj,
        info,
        path,
        payload,
        fieldManager: owner.fieldManager,
        force,
        adopt,
        replacement,
        exists: !!live,
        unchanged,
      },
    };
  }

  /** Writes the changed plans, rank by rank (objects of one rank in parallel). */
  private async write(plans: Plan[]): Promise<ChangeEntry[]> {
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
      const results = await mapSettledLimit(batch, this.concurrency, async p => {
        if (p.replacement)
          await this.kube.replace(p.path, p.replacement, { fieldManager: p.fieldManager });
        return this.kube.apply<KubeObject>(p.path, p.payload, {
          fieldManager: p.fieldManager,
          force: p.force,
        });
      });
      const failed: ObjectProblem[] = [];
      results.forEach((r, i) => {
        const p = batch[i];
        if (r.status === "fulfilled") {
          entries.push({
            ref: p.obj.ref,
            subject: formatRef(p.obj.ref),
            action: p.exists ? "configured" : "created",
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

  /**
   * Waits until each CRD is Established and its kind is served by discovery (which lags behind
   * the Established condition by a moment), so the objects of that kind can be planned next.
   */
  private async waitForCrds(plans: Plan[]): Promise<void> {
    if (plans.length === 0) return;
    const deadline = Date.now() + (this.opts.crdEstablishTimeoutMs ?? 30_000);
    const fail = (p: Plan, why: string): ApplyBlockedError =>
      new ApplyBlockedError([
        { ref: p.obj.ref, subject: formatRef(p.obj.ref), kind: "invalid", message: why },
      ]);
    for (const p of plans) {
      type Crd = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };
      for (;;) {
        const crd = await this.kube.getOptional<Crd>(p.path);
        if (crd?.status?.conditions?.some(c => c.type === "Established" && c.status === "True"))
          break;
        if (Date.now() > deadline)
          throw fail(p, "the CustomResourceDefinition did not become Established");
        await new Promise(r => setTimeout(r, 200));
      }
      const spec = (p.obj.object.spec ?? {}) as {
        group?: string;
        names?: { kind?: string };
        versions?: Array<{ name?: string; served?: boolean }>;
      };
      for (const v of (spec.versions ?? []).filter(v => v.served !== false && v.name)) {
        const apiVersion = `${spec.group}/${v.name}`;
        for (;;) {
          this.mapper.invalidate(apiVersion);
          if (await this.mapper.resolve(apiVersion, spec.names?.kind ?? "")) break;
          if (Date.now() > deadline)
            throw fail(p, `${apiVersion} ${spec.names?.kind} is not served by the API server`);
          await new Promise(r => setTimeout(r, 200));
        }
      }
    }
  }

  /**
   * Removes this owner from objects it no longer lists: deleted when it was the only owner, released
   * when others still list it. `mode: "orphan"` strips the ownership marks instead of deleting.
   * Objects not marked managed-by vidra, or annotated prune: disabled, are left alone.
   */
  async prune(refs: ObjectRef[], owner: Owner, mode: "delete" | "orphan"): Promise<ChangeEntry[]> {
    const ordered = sortForDelete(refs.map(ref => ({ ref })));
    const done: ChangeEntry[] = [];
    const survivors: Array<{ ref: ObjectRef; subject: string; message: string }> = [];
    // Delete in reverse apply order, one rank at a time, so Namespaces and CRDs go last.
    const ranks = [...new Set(ordered.map(o => applyRank(o.ref)))];
    for (const rank of ranks) {
      const batch = ordered.filter(o => applyRank(o.ref) === rank);
      const results = await mapSettledLimit(batch, this.concurrency, o =>
        this.pruneOne(o.ref, owner, mode),
      );
      results.forEach((r, i) => {
        const ref = batch[i].ref;
        if (r.status === "fulfilled") done.push(r.value);
        else survivors.push({ ref, subject: formatRef(ref), message: errorMessage(r.reason) });
      });
    }
    if (survivors.length) throw new PruneIncompleteError(survivors, done);
    return done;
  }

  /**
   * Owners of a shared object may leave at the same moment (their sync was deleted): each would
   * see the others still listed and only release its fields, and nobody would delete. Every write
   * here is therefore conditional on the resourceVersion read; on a conflict the object is read
   * again and the decision made anew.
   */
  private async pruneOne(
    ref: ObjectRef,
    owner: Owner,
    mode: "delete" | "orphan",
  ): Promise<ChangeEntry> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.pruneOnce(ref, owner, mode);
      } catch (err) {
        if (!(err instanceof KubeApiError && err.conflict) || attempt >= 5) throw err;
      }
    }
  }

  private async pruneOnce(
    ref: ObjectRef,
    owner: Owner,
    mode: "delete" | "orphan",
  ): Promise<ChangeEntry> {
    const subject = formatRef(ref);
    const skip = (message: string): ChangeEntry => ({ ref, subject, action: "skipped", message });
    const info = await this.mapper.resolve(ref.apiVersion, ref.kind);
    if (!info) return skip("its kind is no longer served; nothing to delete");
    const path = this.pathFor(info, ref);
    const live = await this.kube.getOptional<KubeObject>(path);
    if (!live) return skip("already gone");
    if (!isManagedByVidra(live.metadata))
      return skip("no longer marked managed-by vidra; left alone");
    const owners = parseOwners(live.metadata?.annotations?.[OWNED_BY_ANNOTATION]);
    if (owners.length && !owners.includes(owner.name))
      return skip(`listed by ${owners.join(", ")}, not by ${owner.name}; left alone`);
    const others = owners.filter(o => o !== owner.name);
    const resourceVersion = live.metadata?.resourceVersion;
    if (others.length) {
      // Applying only the marks gives up every field this owner alone set; fields others set stay.
      const marks = withMarks(identityOf(live, ref), formatOwners(others));
      marks.metadata = { ...marks.metadata, resourceVersion };
      try {
        await this.kube.apply(path, marks, { fieldManager: owner.fieldManager, force: true });
      } catch (err) {
        // Giving up a field the object cannot do without (the others' manifests lack it) is
        // refused by validation: then only leave the owners list, and keep the fields.
        if (
          !(
            err instanceof KubeApiError &&
            (err.status === 422 || err.status === 500) &&
            !err.retryable
          )
        )
          throw err;
        await this.kube.mergePatch(path, {
          metadata: {
            resourceVersion,
            annotations: { [OWNED_BY_ANNOTATION]: formatOwners(others) },
          },
        });
      }
      return { ref, subject, action: "released", message: `still listed by ${others.join(", ")}` };
    }
    if (mode === "orphan") {
      await this.kube.mergePatch(path, {
        metadata: {
          resourceVersion,
          labels: { [MANAGED_BY_KEY]: null },
          annotations: { [MANAGED_BY_KEY]: null, [OWNED_BY_ANNOTATION]: null },
        },
      });
      return { ref, subject, action: "orphaned" };
    }
    if (live.metadata?.annotations?.[PRUNE_ANNOTATION] === "disabled") {
      return skip(`annotated ${PRUNE_ANNOTATION}: disabled; left in place`);
    }
    await this.kube.delete(path, {
      propagationPolicy: "Background",
      uid: live.metadata?.uid,
      resourceVersion,
    });
    return { ref, subject, action: "deleted" };
  }
}

function crdKindKey(crd: KubeObject): string {
  const spec = (crd.spec ?? {}) as { group?: string; names?: { kind?: string } };
  return `${spec.group ?? ""}/${spec.names?.kind ?? ""}`;
}

function identityOf(live: KubeObject, ref: ObjectRef): KubeObject {
  return {
    apiVersion: live.apiVersion ?? ref.apiVersion,
    kind: live.kind ?? ref.kind,
    metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
  };
}

/** The object with Vidra's ownership marks: label and annotation managed-by, and the owners list. */
function withMarks(obj: KubeObject | NormalizedObject["object"], owners: string): KubeObject {
  const meta = (obj.metadata ?? {}) as KubeObject["metadata"] & object;
  return {
    ...obj,
    metadata: {
      ...meta,
      labels: { ...(meta.labels ?? {}), [MANAGED_BY_KEY]: MANAGED_BY_VALUE },
      annotations: {
        ...(meta.annotations ?? {}),
        [MANAGED_BY_KEY]: MANAGED_BY_VALUE,
        [OWNED_BY_ANNOTATION]: owners,
      },
    },
  };
}

/** The manifest's object as a full replacement of `live` (same identity, its resourceVersion). */
function replacementOf(payload: KubeObject, live: KubeObject): KubeObject {
  return {
    ...payload,
    metadata: { ...payload.metadata, resourceVersion: live.metadata?.resourceVersion },
  };
}

function problemFor(obj: NormalizedObject, err: unknown): ObjectProblem {
  const subject = formatRef(obj.ref);
  if (err instanceof KubeApiError) {
    const kind = err.status === 403 ? "forbidden" : err.status === 409 ? "conflict" : "invalid";
    const detail = err.causes.length
      ? err.causes.map(c => [c.field, c.message].filter(Boolean).join(": ")).join("; ")
      : err.message;
    return {
      ref: obj.ref,
      subject,
      kind,
      message: `${err.status} ${err.apiReason ?? ""}: ${detail}`.replace(/\s+/g, " "),
    };
  }
  return { ref: obj.ref, subject, kind: "invalid", message: errorMessage(err) };
}

function unknownKind(obj: NormalizedObject): ObjectProblem {
  return {
    ref: obj.ref,
    subject: formatRef(obj.ref),
    kind: "unknown-kind",
    message: `the cluster serves no kind ${obj.ref.kind} in ${obj.ref.apiVersion}`,
  };
}
