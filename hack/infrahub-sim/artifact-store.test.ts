import { ArtifactStore } from "./artifact-store";
import { MicroClock } from "./clock";

describe("ArtifactStore", () => {
  const setup = () => {
    const store = new ArtifactStore(new MicroClock());
    store.catalog.upsertDefinition({ name: "D", artifactName: "A", contentType: "text/plain" });
    return store;
  };

  it("names artifacts after the definition's artifact_name and inherits its content type", () => {
    const store = setup();
    const a = store.upsertArtifact("main", {
      definition: "D",
      target: { label: "t" },
      content: "x",
    });
    expect(a).toMatchObject({ name: "A", contentType: "text/plain", status: "Ready" });
    expect(
      store.upsertArtifact("main", {
        definition: "D",
        target: { label: "u" },
        contentType: "application/json",
      }).contentType,
    ).toBe("application/json");
  });

  it("matches an upsert by id first, then by definition and target", () => {
    const store = setup();
    const a = store.upsertArtifact("main", {
      definition: "D",
      target: { label: "t", kind: "InfraDevice" },
      content: "1",
    });
    expect(
      store.upsertArtifact("main", {
        definition: "D",
        target: { label: "t", kind: "InfraDevice" },
        content: "2",
      }).id,
    ).toBe(a.id);
    // Same label, other kind: another target, so another artifact.
    expect(
      store.upsertArtifact("main", { definition: "D", target: { label: "t" }, content: "3" }).id,
    ).not.toBe(a.id);
    expect(
      store.upsertArtifact("main", {
        id: "fixed",
        definition: "D",
        target: { label: "t", kind: "InfraDevice" },
      }).id,
    ).toBe("fixed");
    expect(store.list("main")).toHaveLength(3);
  });

  it("keeps each attribute's id stable across versions and its time per change", () => {
    const store = setup();
    const v1 = store.upsertArtifact("main", {
      definition: "D",
      target: { label: "t" },
      content: "1",
    });
    const v2 = store.setContent("main", v1.id, "2");
    expect(v2.attrIds).toEqual(v1.attrIds);
    expect(v2.attrTimes.checksum).toBeGreaterThan(v1.attrTimes.checksum);
    expect(v2.attrTimes.name).toBe(v1.attrTimes.name);
  });

  it("reads history: the version current at an instant, nothing before creation or after deletion", () => {
    const store = setup();
    const v1 = store.upsertArtifact("main", {
      definition: "D",
      target: { label: "t" },
      content: "1",
    });
    const v2 = store.setContent("main", v1.id, "2");
    store.deleteArtifact("main", v1.id);
    expect(store.get("main", v1.id)).toBeUndefined();
    expect(store.get("main", v1.id, v1.updatedAt)?.checksum).toBe(v1.checksum);
    expect(store.get("main", v1.id, v2.updatedAt)?.checksum).toBe(v2.checksum);
    expect(store.get("main", v1.id, v1.updatedAt - 1)).toBeUndefined();
    expect(store.list("main", v2.updatedAt)).toHaveLength(1);
    expect(store.list("main")).toHaveLength(0);
    expect(store.readContent(v1.storageId!)).toBe("1");
  });

  it("explains misuse", () => {
    const store = setup();
    expect(() =>
      store.upsertArtifact("main", { definition: "Nope", target: { label: "t" } }),
    ).toThrow('unknown artifact definition "Nope"');
    expect(() =>
      store.upsertArtifact("ghost", { definition: "D", target: { label: "t" } }),
    ).toThrow("Branch: ghost not found.");
    expect(() =>
      store.upsertArtifact("main", { definition: "D", target: { label: "t", kind: "bad kind" } }),
    ).toThrow(/PascalCase/);
    expect(() => store.upsertArtifact("main", { definition: "D", target: { label: "" } })).toThrow(
      /needs a label/,
    );
    expect(() => store.setContent("main", "missing", "x")).toThrow(
      "no artifact missing on branch main",
    );
    expect(() => store.catalog.upsertDefinition({ name: "E", artifactName: "" })).toThrow(
      /needs an artifactName/,
    );
  });
});
