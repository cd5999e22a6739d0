import { isDeepStrictEqual } from "node:util";
import { mapSettledLimit } from "../concurrency";
import type { KubeObject } from "../kube/client";
import { resourcePath } from "../kube/client";
import type { ResourceInfo } from "../kube/discovery";
import { KubeApiError } from "../kube/errors";
import { formatRef, refKey } from "../manifest/ref";
import type { NormalizedObject, ObjectRef } from "../manifest/types";
import { isManagedByVidra, OWNED_BY_ANNOTATION } from "../sync/markers";
import {
  conflictingOwners,
  conflictsOnOwnersList,
  contentConflicts,
  forceIsSafe,
  parseConflicts,
  removeField,
} from "./conflicts";
import { isController } from "./field-managers";
import { FORCE_ANNOTATION, isImmutableFieldError, SSA_ANNOTATION, ssaPolicy } from "./ssa-policy";
import {
  BeingDeletedError,
  objectPath,
  problemFor,
  serverDetail,
  unknownKind,
  withTypeOf,
  type Engine,
} from "./engine";
import { derivedOwnersList, legacyOwnersToMark, withMarks } from "./ownership";
import { carriesOwnersList, withOwnersList, withoutOwnersList } from "./owners-list";
import { needsTakeOver } from "./take-over";
import type { ChangeEntry, ObjectProblem } from "./types";

export interface Owner {
  /** The VidraResource's name, as its mark and Vidra's owned-by list carry it. */
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
  /**
   * Called once with every object of the set before the first write, so the owner can record its
   * intent (its inventory grows before the objects exist): an operator killed mid-apply then still
   * knows every object it may have created, and prunes what the manifest no longer has.
   */
  beforeWrite?: (refs: ObjectRef[]) => Promise<void>;
  /**
   * Namespaces whose existing objects are never adopted (kube-system, the operator's own): there
   * `adoption: Adopt` counts as Refuse, for the objects in them and for the Namespaces themselves.
   */
  protectedNamespaces?: ReadonlySet<string>;
}

/** The protected namespace an object is in (or is), if any. */
function protectedNamespaceOf(ref: ObjectRef, opts: ApplyOptions): string | undefined {
  const ns = ref.group === "" && ref.kind === "Namespace" ? ref.name : ref.namespace;
  return ns && opts.protectedNamespaces?.has(ns) ? ns : undefined;
}

/** One object's write, decided by its dry-run. */
export interface Plan {
  obj: NormalizedObject;
  info: ResourceInfo;
  path: string;
  payload: KubeObject;
  owner: Owner;
  fieldManager: string;
  force: boolean;
  /** Taking over an object nobody managed (adoption: a forced apply, then every person's fields). */
  adopting: boolean;
  /**
   * Fields of people and legacy tools to take over before the apply (so it removes what the
   * manifest lacks), or owner references to VidraResources to strip: see take-over.ts.
   */
  takeOver: boolean;
  /** The object as read before the dry-run (absent: it is created). */
  live?: KubeObject;
  /** Owners listed only in Vidra's owned-by list, whose marks are written before this owner's. */
  legacyOwners: string[];
  /** An immutable field changes and the object asks for it: delete, wait until gone, create. */
  recreate?: boolean;
  unchanged: boolean;
  /** The dry-run's answer: the object as the write would leave it (absent for a recreate). */
  dry?: KubeObject;
}

export interface PlanContext {
  /** Namespaces the set creates that do not exist yet. */
  missingNamespaces: ReadonlySet<string>;
  /**
   * The set's Namespaces as read just before planning (null: absent), so they are not read again.
   */
  namespacesRead?: ReadonlyMap<string, KubeObject | null>;
  /** `group/Kind` of the CRDs the set creates. */
  kindsInSet: ReadonlySet<string>;
}

export type Planned =
  | { plan: Plan }
  | { problem: ObjectProblem }
  | { deferred: NormalizedObject }
  | { skipped: ChangeEntry };

/** Below this many objects of one type in one namespace, single GETs are cheaper than a LIST. */
const LIST_THRESHOLD = 5;

/** Fields the API server rewrites on every write and that say nothing about the object's content. */
function comparable(o: KubeObject): unknown {
  const meta = { ...(o.metadata ?? {}) };
  meta.managedFields = (meta.managedFields ?? []).map(
    ({ time: _t, ...rest }: Record<string, unknown>) => rest,
  );
  return { ...o, metadata: meta };
}

/**
 * Reads the live objects in bulk: one LIST per resource type and namespace holding several of
 * the set's objects, instead of a GET each. Returns refKey → object, or null for "does not
 * exist"; objects not covered are read one by one.
 */
async function prefetch(
  engine: Engine,
  objects: NormalizedObject[],
  ctx: PlanContext,
): Promise<Map<string, KubeObject | null>> {
  const live = new Map<string, KubeObject | null>();
  const groups = new Map<string, { info: ResourceInfo; namespace?: string; refs: ObjectRef[] }>();
  for (const { ref } of objects) {
    if (ref.namespace && ctx.missingNamespaces.has(ref.namespace)) continue;
    const read =
      ref.group === "" && ref.kind === "Namespace" ? ctx.namespacesRead?.get(ref.name) : undefined;
    if (read !== undefined) {
      live.set(refKey(ref), read);
      continue;
    }
    const info = await engine.mapper.resolve(ref.apiVersion, ref.kind);
    if (!info || !info.verbs.includes("list")) continue;
    const namespace = info.namespaced ? ref.namespace : undefined;
    const key = `${info.group}/${info.version}/${info.plural}/${namespace ?? ""}`;
    const g = groups.get(key) ?? { info, namespace, refs: [] };
    g.refs.push(ref);
    groups.set(key, g);
  }
  const big = [...groups.values()].filter(g => g.refs.length >= LIST_THRESHOLD);
  await mapSettledLimit(big, engine.concurrency, async ({ info, namespace, refs }) => {
    const path = resourcePath({
      group: info.group,
      version: info.version,
      plural: info.plural,
      namespace,
    });
    const byName = new Map(
      (await engine.kube.list<KubeObject>(path)).items.map(o => [o.metadata?.name ?? "", o]),
    );
    for (const ref of refs) {
      const found = byName.get(ref.name);
      live.set(refKey(ref), found ? withTypeOf(info, found) : null);
    }
  });
  return live;
}

/** Dry-runs every object; transient failures abort the whole plan (it is retried later). */
export async function planAll(
  engine: Engine,
  objects: NormalizedObject[],
  owner: Owner,
  opts: ApplyOptions,
  ctx: PlanContext,
): Promise<Planned[]> {
  const live = await prefetch(engine, objects, ctx);
  const results = await mapSettledLimit(objects, engine.concurrency, obj =>
    planOne(engine, obj, owner, opts, ctx, live),
  );
  return results.map((r, i) => {
    if (r.status === "fulfilled") return r.value;
    if (r.reason instanceof BeingDeletedError) throw r.reason;
    if (r.reason instanceof KubeApiError && r.reason.retryable) throw r.reason;
    return { problem: problemFor(objects[i], r.reason) };
  });
}

async function planOne(
  engine: Engine,
  obj: NormalizedObject,
  owner: Owner,
  opts: ApplyOptions,
  ctx: PlanContext,
  prefetched: Map<string, KubeObject | null>,
): Promise<Planned> {
  const { ref } = obj;
  const subject = formatRef(ref);
  if (ref.namespace && ctx.missingNamespaces.has(ref.namespace)) return { deferred: obj };
  const info = await engine.mapper.resolve(ref.apiVersion, ref.kind);
  if (!info) {
    if (ctx.kindsInSet.has(`${ref.group}/${ref.kind}`)) return { deferred: obj };
    return { problem: unknownKind(obj) };
  }
  const path = objectPath(info, ref);
  const cached = prefetched.get(refKey(ref));
  const live =
    cached === undefined ? await engine.kube.getOptional<KubeObject>(path) : (cached ?? undefined);
  // Applying to an object on its way out would only be undone by its deletion.
  if (live?.metadata?.deletionTimestamp) throw new BeingDeletedError(subject);
  let force = false;
  let adopt = false;
  if (live && !isManagedByVidra(live.metadata)) {
    const guarded = protectedNamespaceOf(ref, opts);
    if (guarded && !opts.inventory?.has(refKey(ref))) {
      return {
        problem: {
          ref,
          subject,
          kind: "refused",
          message: `already exists and is not managed by vidra, and namespace ${guarded} is protected: objects in kube-system, kube-public, kube-node-lease and the operator's namespace are never adopted, whatever adoption says; leave it out of the manifest, or label it managed-by=vidra yourself if it really is to be managed`,
        },
      };
    }
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
  const policy = ssaPolicy(obj.object, live);
  if (live && (policy.ignore || policy.ifNotPresent))
    return {
      skipped: {
        ref,
        subject,
        action: "skipped",
        message: `annotated ${SSA_ANNOTATION}: ${policy.ignore ? "Ignore" : "IfNotPresent"}; left as it is`,
      },
    };
  if (!live && policy.ignore)
    return {
      skipped: { ref, subject, action: "skipped", message: `annotated ${SSA_ANNOTATION}: Ignore` },
    };
  const marked = withMarks(obj.object, owner.name);
  const dryRun = await dryRunWithPolicy(
    engine,
    path,
    carriesOwnersList(live, owner.fieldManager) ? withOwnersList(marked, live) : marked,
    owner,
    force,
  );
  if ("problem" in dryRun) return { problem: { ref, subject, ...dryRun.problem } };
  if ("immutable" in dryRun) {
    if (!policy.recreateOnImmutable)
      return {
        problem: {
          ref,
          subject,
          kind: "invalid",
          message: `${dryRun.immutable}; annotate it ${FORCE_ANNOTATION}: Enabled to have it deleted and recreated`,
        },
      };
    return {
      plan: {
        obj,
        info,
        path,
        payload: withMarks(obj.object, owner.name),
        owner,
        fieldManager: owner.fieldManager,
        force: true,
        adopting: adopt,
        takeOver: false,
        live,
        legacyOwners: [],
        recreate: true,
        unchanged: false,
      },
    };
  }
  const { dry, payload } = dryRun;
  force = dryRun.force;
  const legacyOwners = live ? legacyOwnersToMark(live.metadata, owner.name) : [];
  const listCurrent =
    derivedOwnersList(dry.metadata) === dry.metadata?.annotations?.[OWNED_BY_ANNOTATION];
  const takeOver = !!live && needsTakeOver(live, owner.fieldManager, adopt);
  const unchanged =
    !!live &&
    legacyOwners.length === 0 &&
    !takeOver &&
    listCurrent &&
    isDeepStrictEqual(comparable(dry), comparable(live));
  return {
    plan: {
      obj,
      info,
      path,
      payload,
      owner,
      fieldManager: owner.fieldManager,
      force,
      adopting: adopt,
      takeOver,
      live,
      legacyOwners,
      unchanged,
      dry,
    },
  };
}

type DryRun =
  | { dry: KubeObject; force: boolean; payload: KubeObject }
  | { problem: Omit<ObjectProblem, "ref" | "subject"> }
  | { immutable: string };

/**
 * The dry-run, with the conflict policy: a field another VidraResource sets differently is never
 * overwritten (a conflict to report); what a person or a legacy tool wrote is overridden (forced);
 * a field a controller owns (an HPA's replicas, a webhook's defaults) is left to it: it is removed
 * from the payload, so this owner gives it up instead of fighting over it.
 */
async function dryRunWithPolicy(
  engine: Engine,
  path: string,
  payload: KubeObject,
  owner: Owner,
  forced: boolean,
): Promise<DryRun> {
  let force = forced;
  // Fields may be removed below, from a copy: the manifest's own object stays as it is.
  let copied = false;
  for (let round = 1; ; round++) {
    try {
      const dry = await engine.kube.apply<KubeObject>(path, payload, {
        fieldManager: owner.fieldManager,
        force,
        dryRun: true,
      });
      return { dry, force, payload };
    } catch (err) {
      if (!(err instanceof KubeApiError)) throw err;
      if (err.status === 422 && isImmutableFieldError(err.message))
        return { immutable: immutableText(err) };
      if (!err.conflict || force || round > 3) throw err;
      const conflicts = parseConflicts(err.causes, err.message);
      // The operator's list patch took the list over (another owner joined since it was read):
      // the list is left to it.
      const unlisted = conflictsOnOwnersList(conflicts) ? withoutOwnersList(payload) : undefined;
      if (unlisted) {
        payload = unlisted;
        continue;
      }
      if (!forceIsSafe(conflicts)) {
        const others = conflictingOwners(conflicts).map(m => m.replace(/^vidra-pepr\//, ""));
        const fields = contentConflicts(conflicts)
          .map(c => c.field)
          .filter(Boolean)
          .slice(0, 5)
          .join(", ");
        return {
          problem: {
            kind: "conflict",
            message: `VidraResource ${others.join(", ")} sets ${fields || "the same fields"} to other values; not overwriting it`,
          },
        };
      }
      const controllers = contentConflicts(conflicts).filter(c => isController(c.manager));
      if (controllers.length && !copied) {
        payload = structuredClone(payload);
        copied = true;
      }
      for (const c of controllers) {
        if (!removeField(payload, c.field))
          return {
            problem: {
              kind: "conflict",
              message: `${c.manager} (a controller) owns ${c.field || "a field"} and sets it to another value; not overwriting it`,
            },
          };
      }
      // What is left is a person's or a legacy tool's: drift to repair.
      force = contentConflicts(conflicts).some(c => !isController(c.manager));
    }
  }
}

function immutableText(err: KubeApiError): string {
  return `cannot be changed in place (${serverDetail(err)})`;
}
