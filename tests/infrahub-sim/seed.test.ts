import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startInfrahubSimulator } from "../../hack/infrahub-sim";
import { API_TOKEN, KEY, gql, http, page, postJson } from "./helpers";

const EXAMPLE_SEED = resolve(__dirname, "../../hack/infrahub-sim/example-seed.yaml");

describe("Infrahub simulator seed files", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "infrahub-sim-seed-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("loads the shipped example seed in the documented order", async () => {
    const sim = await startInfrahubSimulator({ seed: EXAMPLE_SEED });
    try {
      const main = sim.listArtifacts("main");
      // Sorted by artifact name, then id: VirtuellMaschine_Manifest < Webserver_Manifest.
      expect(main.map(a => a.targetLabel)).toEqual(["vm-01", "web-01", "web-02"]);
      expect(main.find(a => a.targetLabel === "vm-01")).toMatchObject({
        status: "Pending",
        storageId: null,
      });
      expect(main.find(a => a.targetLabel === "web-01")!.content).toContain("name: web-01-config");
      // feature-x was copied from main after main's artifacts, then got its own artifact.
      expect(
        sim
          .listArtifacts("feature-x")
          .map(a => a.targetLabel)
          .sort(),
      ).toEqual(["vm-01", "web-01", "web-02", "web-03"]);
      const info = (await http(`${sim.url}/api/info`, { headers: KEY })).json as Record<
        string,
        string
      >;
      expect(info.deployment_id).toBe("4f1c2b8e-0000-4000-8000-00000000de30");
      // Anonymous access is off; the seeded token and user work.
      expect((await gql(sim, "{ InfrahubInfo { version } }", { headers: {} })).status).toBe(401);
      expect(
        (await postJson(`${sim.url}/api/auth/login`, { username: "admin", password: "infrahub" }))
          .status,
      ).toBe(200);
      const stored = await postJson(
        `${sim.url}/api/query/ArtifactsByDefinition?branch=feature-x`,
        { variables: { definition: "Webserver_Artifact_Definition" } },
        KEY,
      );
      expect(page(stored).count).toBe(3);
    } finally {
      await sim.stop();
    }
  });

  it("reads a YAML file with ids, token lifetimes, an implicit branch and inactive users", async () => {
    const file = join(dir, "seed.yaml");
    writeFileSync(
      file,
      [
        "allowAnonymous: true",
        "users:",
        "  - { username: ops, password: pw }",
        "  - { username: gone, password: pw, active: false }",
        `apiTokens: ["${API_TOKEN}"]`,
        "accessTokenLifetimeSeconds: 60",
        "refreshTokenLifetimeSeconds: 120",
        "definitions: [{ name: D, artifactName: A, contentType: text/plain }]",
        "artifacts:",
        "  - { id: art-1, definition: D, target: { label: t1, id: tid-1 }, content: 'hello' }",
        "  - { id: art-2, branch: implicit, definition: D, target: { label: t2 }, content: 'branch' }",
      ].join("\n"),
    );
    const sim = await startInfrahubSimulator({ seed: file });
    try {
      expect(sim.listArtifacts("main")).toEqual([
        expect.objectContaining({
          id: "art-1",
          name: "A",
          targetId: "tid-1",
          contentType: "text/plain",
          content: "hello",
        }),
      ]);
      expect(
        sim
          .listArtifacts("implicit")
          .map(a => a.id)
          .sort(),
      ).toEqual(["art-1", "art-2"]);
      expect((await gql(sim, "{ InfrahubInfo { version } }", { headers: {} })).status).toBe(200);
      // No default admin when the seed lists users.
      expect(
        (await postJson(`${sim.url}/api/auth/login`, { username: "admin", password: "infrahub" }))
          .status,
      ).toBe(404);
      expect(
        (await postJson(`${sim.url}/api/auth/login`, { username: "gone", password: "pw" })).status,
      ).toBe(401);
      const tokens = (
        await postJson(`${sim.url}/api/auth/login`, { username: "ops", password: "pw" })
      ).json as Record<string, string>;
      const claims = JSON.parse(
        Buffer.from(tokens.access_token.split(".")[1], "base64url").toString("utf8"),
      );
      expect(claims.exp - claims.iat).toBe(60);
    } finally {
      await sim.stop();
    }
  });

  it("lets explicit options override the seed and creates admin/infrahub when the seed has no users", async () => {
    const sim = await startInfrahubSimulator({
      seed: { allowAnonymous: false },
      allowAnonymous: true,
    });
    try {
      expect((await gql(sim, "{ InfrahubInfo { version } }", { headers: {} })).status).toBe(200);
      expect(
        (await postJson(`${sim.url}/api/auth/login`, { username: "admin", password: "infrahub" }))
          .status,
      ).toBe(200);
    } finally {
      await sim.stop();
    }
  });

  it("refuses a broken seed with a message naming the problem", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "definitions: [{ name: D }]\n");
    await expect(startInfrahubSimulator({ seed: bad })).rejects.toThrow(
      /definitions\[0\]\.artifactName must be a string/,
    );
    await expect(startInfrahubSimulator({ seed: { artefacts: [] } as never })).rejects.toThrow(
      /unknown seed key "artefacts"/,
    );
    await expect(
      startInfrahubSimulator({
        seed: { artifacts: [{ definition: "nope", target: { label: "x" } }] },
      }),
    ).rejects.toThrow(/unknown artifact definition "nope"/);
    await expect(startInfrahubSimulator({ seed: join(dir, "missing.yaml") })).rejects.toThrow(
      /cannot read seed file/,
    );
    writeFileSync(bad, "definitions: [\n");
    await expect(startInfrahubSimulator({ seed: bad })).rejects.toThrow(/not valid YAML/);
    await expect(
      startInfrahubSimulator({ seed: { storedQueries: [{ name: "Q", query: "{ nope }" }] } }),
    ).rejects.toThrow(/stored query "Q" is not valid/);
  });
});
