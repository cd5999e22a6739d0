import { syncIsReady, type ResourceView, type Snapshot, type SyncView } from "./snapshot";

const sync = (over: Partial<SyncView> = {}): SyncView => ({
  name: "s",
  url: "http://h",
  branch: "main",
  artifact: "A",
  pollInterval: "5s",
  state: "Succeeded",
  current: true,
  conditions: [{ type: "Ready", status: "True", reason: "Synced", message: "" }],
  lastError: "",
  artifacts: [
    { id: "a1", target: "", checksum: "c1", status: "Ready", vidraResource: "a1", message: "" },
    { id: "a2", target: "", checksum: "c2", status: "Ready", vidraResource: "a2", message: "" },
  ],
  ...over,
});

const vr = (name: string, over: Partial<ResourceView> = {}): ResourceView => ({
  name,
  sync: "s",
  target: "",
  state: "Succeeded",
  ready: { type: "Ready", status: "True", reason: "Applied", message: "" },
  current: true,
  managedCount: 4,
  conflicts: [],
  ...over,
});

const snap = (s: SyncView, resources: ResourceView[]): Snapshot => ({
  at: new Date(),
  syncs: [s],
  resources,
  objects: [],
  events: [],
});

test("Ready means the sync is Ready for its current spec and so is every one of its VidraResources", () => {
  expect(syncIsReady(snap(sync(), [vr("a1"), vr("a2")]), "s")).toBe(true);
});

test.each([
  ["another sync's name", snap(sync(), [vr("a1"), vr("a2")]), "other"],
  ["a stale status", snap(sync({ current: false }), [vr("a1"), vr("a2")]), "s"],
  [
    "Ready False",
    snap(sync({ conditions: [{ type: "Ready", status: "False", reason: "X", message: "" }] }), [
      vr("a1"),
      vr("a2"),
    ]),
    "s",
  ],
  ["no artifacts yet", snap(sync({ artifacts: [] }), []), "s"],
  ["a VidraResource missing", snap(sync(), [vr("a1")]), "s"],
  [
    "a VidraResource not Ready",
    snap(sync(), [
      vr("a1"),
      vr("a2", { ready: { type: "Ready", status: "False", reason: "ApplyFailed", message: "" } }),
    ]),
    "s",
  ],
  ["a VidraResource behind its spec", snap(sync(), [vr("a1"), vr("a2", { current: false })]), "s"],
])("not Ready with %s", (_what, s, name) => {
  expect(syncIsReady(s, name)).toBe(false);
});
