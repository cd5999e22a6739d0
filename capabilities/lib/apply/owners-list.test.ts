import type { ApplyOptions as KubeApplyOptions, KubeClient, KubeObject } from "../kube/client";
import type { ResourceInfo, ResourceMapper } from "../kube/discovery";
import { KubeApiError } from "../kube/errors";
import type { NormalizedObject } from "../manifest/types";
import { OWNED_BY_ANNOTATION, ownerFieldManager, ownerMarkKey } from "../sync/markers";
import type { Engine } from "./engine";
import { carriesOwnersList, withOwnersList, withoutOwnersList } from "./owners-list";
import { planAll } from "./plan";
import { writePlans } from "./write";

const FM = ownerFieldManager("vr-a");
const listOwnedBy = (manager: string, operation: string) => ({
  manager,
  operation,
  apiVersion: "v1",
  fieldsV1: { "f:metadata": { "f:annotations": { [`f:${OWNED_BY_ANNOTATION}`]: {} } } },
});

describe("the owned-by list in an owner's own apply", () => {
  test("carried when creating, and while only this owner's apply has set it", () => {
    expect(carriesOwnersList(undefined, FM)).toBe(true);
    expect(carriesOwnersList({ metadata: { managedFields: [listOwnedBy(FM, "Apply")] } }, FM)).toBe(
      true,
    );
    // The operator's list patch took it over (another owner joined), or another owner created it.
    expect(
      carriesOwnersList({ metadata: { managedFields: [listOwnedBy("vidra-pepr", "Update")] } }, FM),
    ).toBe(false);
    expect(
      carriesOwnersList(
        { metadata: { managedFields: [listOwnedBy(ownerFieldManager("vr-b"), "Apply")] } },
        FM,
      ),
    ).toBe(false);
    // This owner's apply that set other fields only (the list came from elsewhere).
    expect(
      carriesOwnersList(
        {
          metadata: {
            managedFields: [{ manager: FM, operation: "Apply", fieldsV1: { "f:data": {} } }],
          },
        },
        FM,
      ),
    ).toBe(false);
  });

  test("the list is what the marks give once applied: the live object's and the payload's", () => {
    const payload = {
      metadata: { name: "x", annotations: { [ownerMarkKey("vr-a")]: "vr-a", keep: "1" } },
    };
    expect(withOwnersList(payload, undefined).metadata?.annotations).toEqual({
      [ownerMarkKey("vr-a")]: "vr-a",
      keep: "1",
      [OWNED_BY_ANNOTATION]: "vr-a",
    });
    const live = {
      metadata: { annotations: { [ownerMarkKey("vr-b")]: "vr-b", [OWNED_BY_ANNOTATION]: "old" } },
    };
    expect(withOwnersList(payload, live).metadata?.annotations?.[OWNED_BY_ANNOTATION]).toBe(
      "vr-a,vr-b",
    );
    const listed = withOwnersList(payload, undefined);
    expect(withoutOwnersList(listed)).toEqual(payload);
    expect(withoutOwnersList(payload)).toBeUndefined();
  });
});

const INFO: ResourceInfo = {
  group: "",
  version: "v1",
  kind: "ConfigMap",
  plural: "configmaps",
  namespaced: true,
  verbs: ["get", "list", "patch"],
};

const obj: NormalizedObject = {
  ref: {
    apiVersion: "v1",
    group: "",
    version: "v1",
    kind: "ConfigMap",
    namespace: "default",
    name: "cm",
  },
  object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm", namespace: "default" } },
} as NormalizedObject;

const listConflict = () =>
  new KubeApiError("Apply failed with 1 conflict", {
    status: 409,
    apiReason: "Conflict",
    causes: [
      {
        reason: "FieldManagerConflict",
        message: 'conflict with "vidra-pepr" using v1',
        field: `.metadata.annotations.${OWNED_BY_ANNOTATION}`,
      },
    ],
  });

/** A cluster holding nothing, whose applies answer `answer` (throw to refuse), recording bodies. */
function fakeEngine(answer: (body: KubeObject, opts: KubeApplyOptions) => KubeObject) {
  const applies: Array<{ body: KubeObject; dryRun: boolean }> = [];
  const kube = {
    getOptional: async () => undefined,
    list: async () => ({ items: [] }),
    apply: async (_path: string, body: KubeObject, opts: KubeApplyOptions) => {
      applies.push({ body, dryRun: !!opts.dryRun });
      return answer(body, opts);
    },
    mergePatch: async () => {
      throw new Error("no list patch expected");
    },
  } as unknown as KubeClient;
  const mapper = { resolve: async () => INFO } as unknown as ResourceMapper;
  const engine: Engine = { kube, mapper, concurrency: 4 };
  return { engine, applies };
}

const owner = { name: "vr-a", fieldManager: FM };
const ctx = { missingNamespaces: new Set<string>(), kindsInSet: new Set<string>() };
const hasList = (o: KubeObject) => OWNED_BY_ANNOTATION in (o.metadata?.annotations ?? {});
/** The server's answer: the list on the live object, as the operator's own patch left it. */
const withListFromServer = (body: KubeObject): KubeObject => ({
  ...body,
  metadata: {
    ...body.metadata,
    annotations: { ...body.metadata?.annotations, [OWNED_BY_ANNOTATION]: "vr-a" },
  },
});

describe("creating an object is one write, the list included", () => {
  test("the dry-run and the apply carry the list; no list patch follows", async () => {
    const { engine, applies } = fakeEngine(body => ({
      ...body,
      metadata: { ...body.metadata, uid: "u1", resourceVersion: "1" },
    }));
    const planned = await planAll(engine, [obj], owner, { adoption: "Refuse" }, ctx);
    const plans = planned.flatMap(p => ("plan" in p ? [p.plan] : []));
    expect(plans).toHaveLength(1);
    const entries = await writePlans(engine, plans);
    expect(entries.map(e => e.action)).toEqual(["created"]);
    expect(applies.map(a => [a.dryRun, hasList(a.body)])).toEqual([
      [true, true],
      [false, true],
    ]);
  });

  test("a conflict over the list (the operator's patch took it over) leaves the list out", async () => {
    const { engine, applies } = fakeEngine(body => {
      if (hasList(body)) throw listConflict();
      return withListFromServer(body);
    });
    const planned = await planAll(engine, [obj], owner, { adoption: "Refuse" }, ctx);
    const plans = planned.flatMap(p => ("plan" in p ? [p.plan] : []));
    expect(plans).toHaveLength(1);
    expect(hasList(plans[0].payload)).toBe(false);
    await writePlans(engine, plans);
    expect(applies.map(a => [a.dryRun, hasList(a.body)])).toEqual([
      [true, true],
      [true, false],
      [false, false],
    ]);
  });

  test("the same conflict at the write (an owner joined after the dry-run): applied without the list", async () => {
    let dryRuns = 0;
    const { engine, applies } = fakeEngine((body, opts) => {
      if (opts.dryRun) dryRuns++;
      else if (hasList(body)) throw listConflict();
      return withListFromServer(body);
    });
    const planned = await planAll(engine, [obj], owner, { adoption: "Refuse" }, ctx);
    const plans = planned.flatMap(p => ("plan" in p ? [p.plan] : []));
    const entries = await writePlans(engine, plans);
    expect(entries.map(e => e.action)).toEqual(["created"]);
    expect(dryRuns).toBe(1);
    expect(applies.map(a => [a.dryRun, hasList(a.body)])).toEqual([
      [true, true],
      [false, true],
      [false, false],
    ]);
  });
});
