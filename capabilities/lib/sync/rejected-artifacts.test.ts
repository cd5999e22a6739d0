import type { InfrahubArtifact } from "../infrahub";
import { RejectedArtifacts } from "./rejected-artifacts";

const artifact = (id: string, checksum: string | null, storageId: string | null = null) =>
  ({ id, checksum, storageId }) as InfrahubArtifact;

const rejection = { problem: "artifact a (web-01): bad", why: "bad", target: "web-01" };

test("a refusal holds for that version under the same settings, and not beyond", () => {
  const r = new RejectedArtifacts();
  r.remember("sync", artifact("a", "c1"), { context: "g1", ...rejection });
  expect(r.recall("sync", artifact("a", "c1"), "g1")?.problem).toBe(rejection.problem);
  expect(r.recall("sync", artifact("a", "c2"), "g1")).toBeUndefined(); // new content
  expect(r.recall("sync", artifact("a", "c1"), "g2")).toBeUndefined(); // new spec or settings
  expect(r.recall("other", artifact("a", "c1"), "g1")).toBeUndefined();
});

test("without a checksum the storage id identifies the version; with neither nothing is kept", () => {
  const r = new RejectedArtifacts();
  r.remember("sync", artifact("a", null, "s1"), { context: "g", ...rejection });
  r.remember("sync", artifact("b", null, null), { context: "g", ...rejection });
  expect(r.recall("sync", artifact("a", null, "s1"), "g")).toBeDefined();
  expect(r.recall("sync", artifact("b", null, null), "g")).toBeUndefined();
});

test("retain drops artifacts accepted or gone; forget drops the sync", () => {
  const r = new RejectedArtifacts();
  r.remember("sync", artifact("a", "c"), { context: "g", ...rejection });
  r.remember("sync", artifact("b", "c"), { context: "g", ...rejection });
  r.retain("sync", new Set(["b"]));
  expect(r.recall("sync", artifact("a", "c"), "g")).toBeUndefined();
  expect(r.recall("sync", artifact("b", "c"), "g")).toBeDefined();
  r.forget("sync");
  expect(r.recall("sync", artifact("b", "c"), "g")).toBeUndefined();
});
