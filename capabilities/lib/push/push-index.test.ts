import type { InfrahubSyncObject } from "../sync/resources";
import type { ArtifactEvent } from "./artifact-event";
import { PushIndex } from "./push-index";

const now = new Date("2025-06-01T12:00:00Z");
const address = "https://infrahub.example.com";

function sync(
  name: string,
  source: Partial<NonNullable<InfrahubSyncObject["spec"]>["source"]> = {},
  artifacts: string[] = ["a1"],
  spec: Record<string, unknown> = {},
): InfrahubSyncObject {
  return {
    metadata: { name },
    spec: {
      source: {
        infrahubAPIURL: "https://Infrahub.example.com/",
        targetBranch: "main",
        artefactName: "Web",
        ...source,
      },
      ...spec,
    },
    status: { artifacts: artifacts.map(id => ({ id })) },
  };
}

function event(over: Partial<ArtifactEvent> = {}): ArtifactEvent {
  return {
    id: "e1",
    type: "infrahub.artifact.updated",
    branch: "main",
    artifactId: "a1",
    definitionName: "WebDef",
    definitionId: "def-1",
    targetId: "t1",
    ...over,
  };
}

function index(...syncs: InfrahubSyncObject[]): PushIndex {
  const i = new PushIndex();
  for (const s of syncs) i.update(s);
  return i;
}

test("a sync holding the artifact, on the same address and branch, reading the latest, is matched", () => {
  const i = index(
    sync("a"),
    sync("b", { targetBranch: "dev" }),
    sync("c", { infrahubAPIURL: "https://other" }),
  );
  expect(i.match(address, event(), now)).toEqual(["a"]);
  expect(i.match(address, event({ branch: "dev" }), now)).toEqual(["b"]);
  expect(i.match("https://nobody", event(), now)).toEqual([]);
});

test("pinned and suspended syncs are not triggered; a future or zero-offset date reads the latest", () => {
  const i = index(
    sync("past", { targetDate: "2025-01-01T00:00:00Z" }),
    sync("relative", { targetDate: "now-2h" }),
    sync("future", { targetDate: "2030-01-01T00:00:00Z" }),
    sync("now", { targetDate: "now-0s" }),
    sync("suspended", {}, ["a1"], { suspend: true }),
  );
  expect(i.match(address, event(), now)).toEqual(["future", "now"]);
});

test("an update of an artifact no sync holds is ignored; a creation reaches syncs that know nothing yet", () => {
  const i = index(sync("a"), sync("empty", {}, []));
  expect(i.match(address, event({ artifactId: "zz" }), now)).toEqual([]);
  expect(
    i.match(address, event({ artifactId: "zz", type: "infrahub.artifact.created" }), now),
  ).toEqual(["a", "empty"]);
});

test("definitions learnt from a sync's own artifacts decide about new artifacts", () => {
  const i = index(sync("a"), sync("b", {}, ["b1"]));
  i.match(address, event(), now); // a1 is a's, of WebDef
  i.match(
    address,
    event({ artifactId: "b1", definitionName: "DbDef", definitionId: "def-2" }),
    now,
  );
  const created = (definitionName: string, definitionId: string) =>
    i.match(
      address,
      event({ artifactId: "new", type: "infrahub.artifact.created", definitionName, definitionId }),
      now,
    );
  expect(created("WebDef", "def-1")).toEqual(["a"]);
  expect(created("DbDef", "def-2")).toEqual(["b"]);
  expect(created("Other", "def-3")).toEqual([]);
  // An update of another target's artifact of a known definition: a creation that was missed.
  expect(i.match(address, event({ artifactId: "missed" }), now)).toEqual(["a"]);
});

test("GraphQL filters decide for artifacts the sync does not hold yet", () => {
  const i = index(
    sync("def", { discovery: "GraphQL", definitionName: "WebDef" }, []),
    sync("targets", { discovery: "GraphQL", targetIds: ["t9"] }, []),
  );
  expect(i.match(address, event({ artifactId: "n" }), now)).toEqual(["def"]);
  expect(i.match(address, event({ artifactId: "n", targetId: "t9" }), now)).toEqual([
    "def",
    "targets",
  ]);
  expect(
    i.match(address, event({ artifactId: "n", definitionName: "Other", targetId: "t9" }), now),
  ).toEqual(["targets"]);
});

test("removed syncs are forgotten", () => {
  const i = index(sync("a"));
  i.remove("a");
  expect(i.match(address, event(), now)).toEqual([]);
  expect(i.size).toBe(0);
});
