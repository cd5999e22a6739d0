/**
 * Reads what the demo's screen shows from the API server: every InfrahubSync and VidraResource, the
 * objects they applied as `kubectl get` prints them (the server's Table rendering, so the columns
 * are kubectl's own), and the operator's recent Events. Read-only, a handful of GETs per refresh.
 */
import type { KubeClient, KubeObject } from "../../capabilities/lib/kube/client";
import { ResourceMapper } from "../../capabilities/lib/kube/discovery";
import { errorMessage } from "../../capabilities/lib/errors";

export interface ConditionView {
  type: string;
  status: string;
  reason: string;
  message: string;
}

export interface ArtifactView {
  id: string;
  target: string;
  checksum: string;
  status: string;
  vidraResource: string;
  message: string;
}

export interface SyncView {
  name: string;
  url: string;
  branch: string;
  artifact: string;
  pollInterval: string;
  state: string;
  /** True when the status describes the current spec (observedGeneration = generation). */
  current: boolean;
  conditions: ConditionView[];
  lastSyncTime?: string;
  nextSyncTime?: string;
  /** What started the sync that last changed something (Webhook, Poll, SyncNow, Spec, Retry). */
  lastSyncTrigger?: string;
  lastWebhook?: { eventId: string; receivedAt?: string; fetchedAt?: string; result?: string };
  lastError: string;
  artifacts: ArtifactView[];
}

export interface ResourceView {
  name: string;
  sync: string;
  target: string;
  state: string;
  ready?: ConditionView;
  current: boolean;
  managedCount: number;
  conflicts: string[];
}

export interface ObjectRow {
  /** kubectl's `kind.group/name`, e.g. `deployment.apps/web-01`. */
  ref: string;
  /** Column name and value, as `kubectl get` prints them (NAME left out). */
  cells: Array<[string, string]>;
  missing: boolean;
}

export interface NamespaceGroup {
  /** "" for cluster-scoped objects that are not Namespaces. */
  namespace: string;
  rows: ObjectRow[];
}

export interface EventView {
  time?: string;
  type: string;
  reason: string;
  object: string;
  message: string;
  count: number;
}

export interface Snapshot {
  at: Date;
  syncs: SyncView[];
  resources: ResourceView[];
  objects: NamespaceGroup[];
  events: EventView[];
  /** Set when the API server could not be read; the rest is empty then. */
  error?: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const GROUP = "/apis/infrahub.operators.com/v1alpha1";
const TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
const EVENT_COMPONENT = "vidra-pepr";
/** Kinds in the order a manifest usually lists them (kubectl's lower-case spelling). */
const KIND_ORDER = [
  "namespace",
  "serviceaccount",
  "configmap",
  "secret",
  "deployment",
  "statefulset",
  "service",
  "ingress",
];

function conditions(obj: Json): ConditionView[] {
  return (obj.status?.conditions ?? []).map((c: Json) => ({
    type: String(c.type),
    status: String(c.status),
    reason: String(c.reason ?? ""),
    message: String(c.message ?? ""),
  }));
}

function isCurrent(obj: Json): boolean {
  return obj.status?.observedGeneration === obj.metadata?.generation;
}

function syncView(obj: Json): SyncView {
  const src = obj.spec?.source ?? {};
  return {
    name: obj.metadata.name,
    url: String(src.infrahubAPIURL ?? ""),
    branch: String(src.targetBranch ?? ""),
    artifact: String(src.artefactName ?? ""),
    pollInterval: String(obj.spec?.pollInterval ?? "default"),
    state: String(obj.status?.syncState ?? "Pending"),
    current: isCurrent(obj),
    conditions: conditions(obj),
    lastSyncTime: obj.status?.lastSyncTime,
    nextSyncTime: obj.status?.nextSyncTime,
    lastSyncTrigger: obj.status?.lastSyncTrigger,
    lastWebhook: obj.status?.lastWebhook,
    lastError: String(obj.status?.lastError ?? ""),
    artifacts: (obj.status?.artifacts ?? []).map((a: Json) => ({
      id: String(a.id ?? ""),
      target: String(a.target ?? ""),
      checksum: String(a.checksum ?? ""),
      status: String(a.status ?? ""),
      vidraResource: String(a.vidraResource ?? a.id ?? ""),
      message: String(a.message ?? ""),
    })),
  };
}

function resourceView(obj: Json): ResourceView {
  return {
    name: obj.metadata.name,
    sync: obj.metadata.labels?.["infrahub.operators.com/sync"] ?? "",
    target: obj.metadata.annotations?.["infrahub.operators.com/target"] ?? "",
    state: String(obj.status?.DeployState ?? "Pending"),
    ready: conditions(obj).find(c => c.type === "Ready"),
    current: isCurrent(obj),
    managedCount: Number(obj.status?.managedCount ?? obj.status?.managedResources?.length ?? 0),
    conflicts: obj.status?.conflicts ?? [],
  };
}

interface Managed {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
}

/** Reads snapshots through one client; keeps the discovery cache between refreshes. */
export class SnapshotReader {
  private readonly mapper: ResourceMapper;

  constructor(private readonly kube: KubeClient) {
    this.mapper = new ResourceMapper(kube);
  }

  async read(): Promise<Snapshot> {
    const at = new Date();
    try {
      const [syncs, resources, events] = await Promise.all([
        this.kube.list(`${GROUP}/infrahubsyncs`),
        this.kube.list(`${GROUP}/vidraresources`),
        this.kube.list("/api/v1/events", {
          fieldSelector: `reportingComponent=${EVENT_COMPONENT}`,
        }),
      ]);
      const managed = resources.items.flatMap(
        (r: Json) => (r.status?.managedResources ?? []) as Managed[],
      );
      return {
        at,
        syncs: syncs.items.map(syncView).sort((a, b) => a.name.localeCompare(b.name)),
        resources: resources.items
          .map(resourceView)
          .sort((a, b) => (a.target || a.name).localeCompare(b.target || b.name)),
        objects: await this.objects(managed),
        events: recentEvents(events.items, 6),
      };
    } catch (err) {
      return { at, syncs: [], resources: [], objects: [], events: [], error: errorMessage(err) };
    }
  }

  /** Table rows for the managed objects, one list request per kind and namespace. */
  private async objects(managed: Managed[]): Promise<NamespaceGroup[]> {
    const byList = new Map<
      string,
      { apiVersion: string; kind: string; namespace: string; names: Set<string> }
    >();
    for (const m of managed) {
      const key = `${m.apiVersion}|${m.kind}|${m.namespace ?? ""}`;
      const entry = byList.get(key) ?? {
        apiVersion: m.apiVersion,
        kind: m.kind,
        namespace: m.namespace ?? "",
        names: new Set<string>(),
      };
      entry.names.add(m.name);
      byList.set(key, entry);
    }
    const groups = new Map<string, ObjectRow[]>();
    await Promise.all(
      [...byList.values()].map(async l => {
        const rows = await this.tableRows(l.apiVersion, l.kind, l.namespace, l.names);
        for (const [name, row] of rows) {
          const ns = l.kind === "Namespace" && l.apiVersion === "v1" ? name : l.namespace;
          groups.set(ns, [...(groups.get(ns) ?? []), row]);
        }
      }),
    );
    const order = (r: ObjectRow): string => {
      const rank = KIND_ORDER.indexOf(r.ref.split(/[./]/)[0]);
      return `${String(rank < 0 ? KIND_ORDER.length : rank).padStart(2, "0")}${r.ref}`;
    };
    return [...groups.entries()]
      .sort(([a], [b]) => (a === "" ? 1 : b === "" ? -1 : a.localeCompare(b)))
      .map(([namespace, rows]) => ({
        namespace,
        rows: rows.sort((a, b) => order(a).localeCompare(order(b))),
      }));
  }

  private async tableRows(
    apiVersion: string,
    kind: string,
    namespace: string,
    names: Set<string>,
  ): Promise<Array<[string, ObjectRow]>> {
    const info = await this.mapper.resolve(apiVersion, kind);
    const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
    const ref = (name: string): string =>
      `${kind.toLowerCase()}${group ? `.${group}` : ""}/${name}`;
    const missing = (name: string): [string, ObjectRow] => [
      name,
      { ref: ref(name), cells: [["STATUS", "not found"]], missing: true },
    ];
    if (!info) return [...names].map(missing);
    const base = group ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const path = `${base}${info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ""}/${info.plural}`;
    const res = await this.kube.transport.send(
      "GET",
      path,
      undefined,
      { Accept: TABLE_ACCEPT },
      15_000,
    );
    if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}`);
    const table = JSON.parse(res.body.toString("utf8")) as Json;
    const columns: Array<{ name: string; priority?: number }> = table.columnDefinitions ?? [];
    const found = new Map<string, ObjectRow>();
    for (const row of table.rows ?? []) {
      const name = row.object?.metadata?.name;
      if (!names.has(name)) continue;
      const cells: Array<[string, string]> = [];
      columns.forEach((c, i) => {
        if ((c.priority ?? 0) === 0 && c.name !== "Name")
          cells.push([c.name.toUpperCase(), cellText(row.cells?.[i])]);
      });
      found.set(name, { ref: ref(name), cells, missing: false });
    }
    return [...names].map(n => (found.has(n) ? [n, found.get(n)!] : missing(n)));
  }
}

function cellText(v: unknown): string {
  if (v === null || v === undefined || v === "") return "<none>";
  return String(v);
}

function recentEvents(items: KubeObject[], limit: number): EventView[] {
  const time = (e: Json): string =>
    e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? "";
  return (items as Json[])
    .sort((a, b) => time(b).localeCompare(time(a)))
    .slice(0, limit)
    .map(e => ({
      time: time(e) || undefined,
      type: String(e.type ?? ""),
      reason: String(e.reason ?? ""),
      object: `${e.involvedObject?.kind ?? ""}/${e.involvedObject?.name ?? ""}`,
      message: String(e.message ?? ""),
      count: Number(e.count ?? 1),
    }));
}

/** True once `name` is Ready for its current spec and every one of its VidraResources is Ready too. */
export function syncIsReady(s: Snapshot, name: string): boolean {
  const sync = s.syncs.find(x => x.name === name);
  if (!sync?.current || sync.conditions.find(c => c.type === "Ready")?.status !== "True")
    return false;
  if (sync.artifacts.length === 0) return false;
  return sync.artifacts.every(a => {
    const vr = s.resources.find(r => r.name === a.vidraResource);
    return vr?.current === true && vr.ready?.status === "True";
  });
}
