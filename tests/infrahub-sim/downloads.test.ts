import { startInfrahubSimulator, type InfrahubSimulator } from "../../hack/infrahub-sim";
import { DEFINITION, KEY, baseSeed, envelope, gql, http, postJson } from "./helpers";

// Contract: infrahub-api.md §3 (downloads), §0 catch-all, §5 /api/info, X-Process-Time everywhere.
describe("Infrahub simulator downloads", () => {
  let sim: InfrahubSimulator;
  const web01 = () => sim.listArtifacts("main").find(a => a.id === "a-web-01")!;

  beforeAll(async () => {
    sim = await startInfrahubSimulator({ seed: baseSeed({ branches: [{ name: "feature-x" }] }) });
    sim.upsertDefinition({
      name: "Json_Definition",
      artifactName: "Json_Manifest",
      contentType: "application/json",
    });
    sim.upsertArtifact("main", {
      id: "a-json",
      definition: "Json_Definition",
      target: { label: "web-01", id: "t-web-01" },
      content: '{\n  "test": true\n}',
    });
    sim.upsertArtifact("main", {
      id: "a-pending",
      definition: DEFINITION,
      target: { label: "web-pending" },
    });
  });
  afterAll(() => sim.stop());

  describe("GET /api/storage/object/{storage_id}", () => {
    it("returns the raw text with no Content-Type header", async () => {
      const res = await http(`${sim.url}/api/storage/object/${web01().storageId}`, {
        headers: KEY,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBeNull();
      expect(res.text).toBe("kind: Namespace\nmetadata:\n  name: web-01\n");
      expect(res.headers.get("content-length")).toBe(String(Buffer.byteLength(res.text)));
    });

    it("answers a missing object with a 404 envelope that cannot be mistaken for content", async () => {
      const res = await http(`${sim.url}/api/storage/object/missing-id`, { headers: KEY });
      expect(res.status).toBe(404);
      expect(res.json).toEqual(
        envelope(404, "Unable to find the node missing-id / StorageObject in the database."),
      );
    });

    it("is not branch-aware: ?branch= is ignored and branch-only objects are served", async () => {
      const branchOnly = sim.upsertArtifact("feature-x", {
        definition: DEFINITION,
        target: { label: "only-on-branch" },
        content: "branch\n",
      });
      const res = await http(
        `${sim.url}/api/storage/object/${branchOnly.storageId}?branch=does-not-exist`,
        { headers: KEY },
      );
      expect(res.status).toBe(200);
      expect(res.text).toBe("branch\n");
    });

    it("keeps old versions downloadable after the content changes", async () => {
      const before = sim.upsertArtifact("main", {
        definition: DEFINITION,
        target: { label: "web-versions" },
        content: "v1\n",
      });
      const after = sim.setArtifactContent("main", before.id, "v2\n");
      expect(after.storageId).not.toBe(before.storageId);
      expect(
        (await http(`${sim.url}/api/storage/object/${before.storageId}`, { headers: KEY })).text,
      ).toBe("v1\n");
      expect(
        (await http(`${sim.url}/api/storage/object/${after.storageId}`, { headers: KEY })).text,
      ).toBe("v2\n");
    });
  });

  describe("GET /api/artifact/{artifact_id}", () => {
    it("serves content with the artifact's content_type verbatim (no charset added)", async () => {
      const yaml = await http(`${sim.url}/api/artifact/a-web-01`, { headers: KEY });
      expect(yaml.status).toBe(200);
      expect(yaml.headers.get("content-type")).toBe("application/yaml");
      expect(yaml.text).toBe(web01().content);
      const text = await http(`${sim.url}/api/artifact/a-vm-01?branch=main`, { headers: KEY });
      expect(text.headers.get("content-type")).toBe("text/plain");
      const json = await http(`${sim.url}/api/artifact/a-json`, { headers: KEY });
      expect(json.headers.get("content-type")).toBe("application/json");
      expect(json.json).toEqual({ test: true });
    });

    it("pins its errors: unknown id 404, unknown branch 400, null storage_id 404 None", async () => {
      const unknown = await http(`${sim.url}/api/artifact/nope`, { headers: KEY });
      expect(unknown.status).toBe(404);
      expect(unknown.json).toEqual(
        envelope(404, "Unable to find the node nope / CoreArtifact in the database."),
      );
      const branch = await http(`${sim.url}/api/artifact/a-web-01?branch=ghost`, { headers: KEY });
      expect(branch.status).toBe(400);
      expect(branch.json).toEqual(envelope(400, "Branch: ghost not found."));
      const pending = await http(`${sim.url}/api/artifact/a-pending`, { headers: KEY });
      expect(pending.status).toBe(404);
      expect(pending.json).toEqual(
        envelope(404, "Unable to find the node None / StorageObject in the database."),
      );
    });

    it("is branch-aware: a branch-only artifact is unknown on main", async () => {
      const onBranch = sim.upsertArtifact("feature-x", {
        definition: DEFINITION,
        target: { label: "branch-art" },
        content: "b\n",
      });
      expect(
        (await http(`${sim.url}/api/artifact/${onBranch.id}?branch=feature-x`, { headers: KEY }))
          .text,
      ).toBe("b\n");
      expect((await http(`${sim.url}/api/artifact/${onBranch.id}`, { headers: KEY })).status).toBe(
        404,
      );
    });
  });

  it("answers any other /api path, or a known path with another method, with the catch-all 404", async () => {
    const other = await http(`${sim.url}/api/nothing/here`, { headers: KEY });
    expect(other.status).toBe(404);
    expect(other.json).toEqual(
      envelope(404, "The requested endpoint /api/nothing/here does not exist"),
    );
    const wrongMethod = await http(`${sim.url}/api/auth/login`);
    expect(wrongMethod.json).toEqual(
      envelope(404, "The requested endpoint /api/auth/login does not exist"),
    );
    const slash = await http(`${sim.url}/api/storage/object/a/b`, { headers: KEY });
    expect(slash.json).toEqual(
      envelope(404, "The requested endpoint /api/storage/object/a/b does not exist"),
    );
  });

  it("stamps X-Process-Time on every kind of response", async () => {
    const responses = [
      await http(`${sim.url}/api/info`),
      await http(`${sim.url}/api/storage/object/${web01().storageId}`, { headers: KEY }),
      await http(`${sim.url}/api/artifact/nope`, { headers: KEY }),
      await gql(sim, "{ InfrahubInfo { version } }"),
      await gql(sim, "{ nope }"),
      await postJson(`${sim.url}/api/auth/login`, { username: "admin" }),
      await http(`${sim.url}/api/unknown`),
      await http(`${sim.url}/not-api`),
    ];
    for (const res of responses)
      expect(Number(res.headers.get("x-process-time"))).toBeGreaterThanOrEqual(0);
    for (const res of responses)
      expect(res.headers.get("x-process-time")).toMatch(/^\d+(\.\d+)?(e-\d+)?$/);
  });
});
