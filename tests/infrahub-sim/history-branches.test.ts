import { createHash } from "node:crypto";
import { startInfrahubSimulator, type InfrahubSimulator } from "../../hack/infrahub-sim";
import { formatMicros, parseAt } from "../../hack/infrahub-sim/clock";
import { DEFINITION, KEY, baseSeed, gql, http, page, postJson, sleep } from "./helpers";

// Contract: §2.4 checksum/storage_id rules, `?at=` point-in-time reads, branch-local artifacts.
describe("Infrahub simulator history and branches", () => {
  let sim: InfrahubSimulator;
  const md5 = (text: string) => createHash("md5").update(text, "utf8").digest("hex");
  const QUERY =
    "query Q($ids: [ID]) { CoreArtifact(ids: $ids) { count edges { node { id checksum { value } storage_id { value } status { value } } } } }";
  const read = async (ids: string[], opts: { at?: string; branch?: string } = {}) => {
    const res = await gql(sim, QUERY, { variables: { ids }, ...opts });
    expect(res.status).toBe(200);
    return page(res).edges.map(e => ({
      id: e.node.id,
      checksum: e.node.checksum.value,
      storageId: e.node.storage_id.value,
      status: e.node.status.value,
    }));
  };

  beforeAll(async () => {
    sim = await startInfrahubSimulator({ seed: baseSeed() });
  });
  afterAll(() => sim.stop());

  it("gives new content a new storage_id and md5 checksum, and leaves unchanged content alone", () => {
    const v1 = sim.upsertArtifact("main", {
      definition: DEFINITION,
      target: { label: "h-1" },
      content: "one: 1\n",
    });
    expect(v1.checksum).toBe(md5("one: 1\n"));
    expect(v1.status).toBe("Ready");
    const same = sim.setArtifactContent("main", v1.id, "one: 1\n");
    expect(same).toEqual(v1); // same storage_id, checksum and updatedAt: no new version
    const v2 = sim.setArtifactContent("main", v1.id, "one: 2\n");
    expect(v2.checksum).toBe(md5("one: 2\n"));
    expect(v2.storageId).not.toBe(v1.storageId);
    expect(v2.updatedAt > v1.updatedAt).toBe(true);
    const multibyte = sim.setArtifactContent("main", v1.id, "name: café ✓\n");
    expect(multibyte.checksum).toBe(md5("name: café ✓\n"));
    // Upserting by definition + target updates the same artifact.
    const again = sim.upsertArtifact("main", {
      definition: DEFINITION,
      target: { label: "h-1" },
      content: "name: café ✓\n",
    });
    expect(again.id).toBe(v1.id);
    expect(again.storageId).toBe(multibyte.storageId);
  });

  it("creates Pending artifacts without content, with null checksum and storage_id", () => {
    const pending = sim.upsertArtifact("main", {
      definition: DEFINITION,
      target: { label: "h-pending" },
    });
    expect(pending).toMatchObject({
      status: "Pending",
      checksum: null,
      storageId: null,
      content: null,
    });
    const failed = sim.setArtifactStatus("main", pending.id, "Error");
    expect(failed.status).toBe("Error");
    expect(() => sim.setArtifactStatus("main", pending.id, "Broken" as never)).toThrow(
      /status must be one of/,
    );
  });

  it("answers ?at= with the state as of that instant on GraphQL, /api/artifact and /api/query", async () => {
    const v1 = sim.upsertArtifact("main", {
      definition: DEFINITION,
      target: { label: "h-time" },
      content: "version: 1\n",
    });
    await sleep(5);
    const v2 = sim.setArtifactContent("main", v1.id, "version: 2\n");
    await sleep(5);
    sim.deleteArtifact("main", v1.id);

    expect(await read([v1.id])).toEqual([]);
    expect(await read([v1.id], { at: v1.updatedAt })).toEqual([
      { id: v1.id, checksum: v1.checksum, storageId: v1.storageId, status: "Ready" },
    ]);
    expect(await read([v1.id], { at: v2.updatedAt })).toEqual([
      { id: v1.id, checksum: v2.checksum, storageId: v2.storageId, status: "Ready" },
    ]);
    // One microsecond before v1: after main was created, before the artifact existed.
    const before = formatMicros(parseAt(v1.updatedAt)! - 1);
    expect(await read([v1.id], { at: before })).toEqual([]);
    // The same instant written with a +02:00 offset reads the same version.
    const plusTwo = new Date(Date.parse(v2.updatedAt) + 1 + 2 * 3600_000)
      .toISOString()
      .replace("Z", "+02:00");
    expect(await read([v1.id], { at: plusTwo })).toEqual([
      expect.objectContaining({ checksum: v2.checksum }),
    ]);

    const old = await http(
      `${sim.url}/api/artifact/${v1.id}?at=${encodeURIComponent(v1.updatedAt)}`,
      { headers: KEY },
    );
    expect(old.status).toBe(200);
    expect(old.text).toBe("version: 1\n");
    const gone = await http(`${sim.url}/api/artifact/${v1.id}`, { headers: KEY });
    expect(gone.status).toBe(404);

    const stored = await postJson(
      `${sim.url}/api/query/ArtifactIDs?at=${encodeURIComponent(v2.updatedAt)}`,
      { variables: {} },
      KEY,
    );
    const ids = page(stored).edges.map(e => e.node.id);
    expect(ids).toContain(v1.id);
  });

  // infrahub-server 1.11.9 (BranchQueryTimeValidator), contract cases at/before-main*.
  it("refuses an instant before main (or a branch's origin) was created with a 422", async () => {
    sim.createBranch("feature/early");
    for (const branch of [undefined, "feature/early"]) {
      const res = await gql(sim, QUERY, {
        variables: { ids: [] },
        at: "2020-01-01T00:00:00Z",
        branch,
      });
      expect(res.status).toBe(422);
      expect(res.json).toEqual({
        data: null,
        errors: [
          {
            message: expect.stringMatching(
              /^Requested time '2020-01-01T00:00:00\.000000Z' is before branch 'main' was created at '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z'\.$/,
            ),
            extensions: { code: "UNDEFINED_ERROR", http_status: 422, data: {} },
          },
        ],
      });
    }
    const rest = await http(`${sim.url}/api/artifact/a-web-01?at=2020-01-01`, { headers: KEY });
    expect(rest.status).toBe(422);
    expect((rest.json as { errors: Array<{ extensions: unknown }> }).errors[0].extensions).toEqual({
      code: 422,
    });
  });

  it("accepts the SDK's relative times (`now-0s` reads the present)", async () => {
    const res = await gql(sim, QUERY, { variables: { ids: ["a-web-01"] }, at: "now-0s" });
    expect(res.status).toBe(200);
    expect(page(res).count).toBe(1);
    const early = await gql(sim, QUERY, { variables: { ids: [] }, at: "now-100000h" });
    expect(early.status).toBe(422);
  });

  it("stamps each change at the wall-clock millisecond, so an ISO time taken after a change sees it", async () => {
    const art = sim.upsertArtifact("main", {
      definition: DEFINITION,
      target: { label: "h-clock" },
      content: "a\n",
    });
    const after = new Date().toISOString();
    await sleep(5);
    sim.setArtifactContent("main", art.id, "b\n");
    expect(await read([art.id], { at: after })).toEqual([
      expect.objectContaining({ checksum: md5("a\n") }),
    ]);
  });

  describe("branches", () => {
    it("copies the source branch's artifacts, history included, when a branch is created", async () => {
      const art = sim.upsertArtifact("main", {
        definition: DEFINITION,
        target: { label: "b-copy" },
        content: "main v1\n",
      });
      sim.createBranch("feature/copy");
      const branchArtifacts = sim.listArtifacts("feature/copy");
      expect(branchArtifacts.map(a => a.id)).toEqual(sim.listArtifacts("main").map(a => a.id));
      expect(await read([art.id], { branch: "feature/copy", at: art.updatedAt })).toHaveLength(1);
    });

    it("keeps later changes local to their branch", async () => {
      sim.createBranch("feature/local");
      const mainArt = sim.listArtifacts("main").find(a => a.id === "a-web-01")!;
      const changed = sim.setArtifactContent("feature/local", "a-web-01", "branch edit\n");
      expect(sim.listArtifacts("main").find(a => a.id === "a-web-01")!.storageId).toBe(
        mainArt.storageId,
      );
      expect((await read(["a-web-01"], { branch: "feature/local" }))[0].storageId).toBe(
        changed.storageId,
      );
      expect((await read(["a-web-01"]))[0].storageId).toBe(mainArt.storageId);
      const added = sim.upsertArtifact("main", {
        definition: DEFINITION,
        target: { label: "b-main-later" },
        content: "late\n",
      });
      expect(await read([added.id], { branch: "feature/local" })).toEqual([]);
      sim.deleteArtifact("feature/local", "a-web-02");
      expect(await read(["a-web-02"])).toHaveLength(1);
      expect(await read(["a-web-02"], { branch: "feature/local" })).toEqual([]);
    });

    it("creates branches from other branches and deletes them (main cannot be deleted)", async () => {
      sim.createBranch("parent");
      sim.upsertArtifact("parent", {
        definition: DEFINITION,
        target: { label: "b-parent" },
        content: "p\n",
      });
      sim.createBranch("child", "parent");
      expect(sim.listArtifacts("child").some(a => a.targetLabel === "b-parent")).toBe(true);
      expect(() => sim.createBranch("child")).toThrow(/already exists/);
      expect(() => sim.createBranch("x", "ghost")).toThrow(/Branch: ghost not found/);
      sim.deleteBranch("child");
      const res = await gql(sim, "{ CoreArtifact { count } }", { branch: "child" });
      expect(res.status).toBe(404);
      expect(() => sim.deleteBranch("main")).toThrow(/cannot be deleted/);
    });
  });
});
