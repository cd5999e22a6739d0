import { startInfrahubSimulator, type InfrahubSimulator } from "../../hack/infrahub-sim";
import { KEY, baseSeed, gql, http, postJson } from "./helpers";

describe("Infrahub simulator control API", () => {
  let sim: InfrahubSimulator;
  const control = (path: string, init: RequestInit = {}) => http(`${sim.url}/__sim/${path}`, init);
  const send = (method: string, path: string, body: unknown) =>
    control(path, {
      method,
      headers: { "Content-Type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    sim = await startInfrahubSimulator({ seed: baseSeed(), controlApi: true });
  });
  afterAll(() => sim.stop());

  it("is off unless asked for", async () => {
    const plain = await startInfrahubSimulator();
    try {
      // Without it, /__sim/ is just a path outside /api: infrahub-server's bare 500.
      const res = await http(`${plain.url}/__sim/artifacts`);
      expect(res.status).toBe(500);
      expect(res.text).toBe("Internal Server Error");
    } finally {
      await plain.stop();
    }
  });

  it("lists artifacts and summarises the simulator", async () => {
    const list = await control("artifacts?branch=main");
    expect(list.status).toBe(200);
    expect((list.json as Array<{ id: string }>).map(a => a.id).sort()).toEqual([
      "a-vm-01",
      "a-web-01",
      "a-web-02",
    ]);
    const summary = (await control("")).json as Record<string, unknown>;
    expect(summary).toMatchObject({
      url: sim.url,
      branches: ["main"],
      storedQueries: ["ArtifactIDs"],
    });
  });

  it("sets content from a raw body, by artifact id or by target label", async () => {
    const byId = await control("artifacts/a-web-01/content", {
      method: "PUT",
      body: "kind: ConfigMap\n",
    });
    expect(byId.status).toBe(200);
    expect(byId.json).toMatchObject({
      id: "a-web-01",
      content: "kind: ConfigMap\n",
      status: "Ready",
    });
    const byLabel = await control("artifacts/web-02/content?branch=main", {
      method: "PUT",
      body: "kind: Secret\n",
    });
    expect(byLabel.json).toMatchObject({ id: "a-web-02", content: "kind: Secret\n" });
    const served = await http(`${sim.url}/api/artifact/a-web-02`, { headers: KEY });
    expect(served.text).toBe("kind: Secret\n");
  });

  it("upserts, reads, changes the status of, and deletes artifacts", async () => {
    const created = await send("POST", "artifacts", {
      branch: "main",
      definition: "VM_Artifact_Definition",
      target: { label: "vm-09", kind: "KubernetesVirtuellMaschine" },
      content: "kind: VirtualMachine\n",
    });
    expect(created.status).toBe(200);
    const id = (created.json as { id: string }).id;
    expect((await control(`artifacts/${id}`)).json).toMatchObject({
      targetLabel: "vm-09",
      contentType: "text/plain",
    });
    expect((await send("PUT", "artifacts/vm-09/status", { status: "Error" })).json).toMatchObject({
      status: "Error",
    });
    expect((await send("PUT", "artifacts/vm-09/status", "Processing")).json).toMatchObject({
      status: "Processing",
    });
    expect((await control("artifacts/vm-09", { method: "DELETE" })).status).toBe(200);
    expect((await control(`artifacts/${id}`)).status).toBe(404);
  });

  it("manages definitions, branches and stored queries", async () => {
    expect(
      (await send("POST", "definitions", { name: "New_Def", artifactName: "New_Manifest" })).json,
    ).toMatchObject({ name: "New_Def", contentType: "application/yaml" });
    expect((await send("POST", "branches", { name: "demo/branch" })).json).toEqual([
      "main",
      "demo/branch",
    ]);
    expect(
      (await control(`branches/${encodeURIComponent("demo/branch")}`, { method: "DELETE" })).json,
    ).toEqual(["main"]);
    const registered = await send("POST", "stored-queries", {
      name: "Count",
      query: "{ CoreArtifact { count } }",
    });
    expect(registered.json).toEqual(["ArtifactIDs", "Count"]);
    expect((await postJson(`${sim.url}/api/query/Count`, {}, KEY)).json).toEqual({
      data: { CoreArtifact: { count: 3 } },
    });
  });

  it("injects and clears faults, reads and resets counts, toggles anonymous access and expires tokens", async () => {
    expect(
      (
        await send("POST", "faults", {
          endpoint: "GET /api/info",
          kind: "status",
          status: 503,
          times: 1,
        })
      ).json,
    ).toEqual([{ endpoint: "GET /api/info", kind: "status", status: 503, times: 1 }]);
    expect((await http(`${sim.url}/api/info`, { headers: KEY })).status).toBe(503);
    await send("POST", "faults", { endpoint: "*", kind: "status", status: 500 });
    expect((await control("faults", { method: "DELETE" })).json).toEqual([]);
    expect((await http(`${sim.url}/api/info`, { headers: KEY })).status).toBe(200);
    expect(
      ((await control("counts")).json as Record<string, number>)["GET /api/info"],
    ).toBeGreaterThanOrEqual(2);
    expect((await control("requests")).json).toEqual(
      expect.arrayContaining([expect.objectContaining({ endpoint: "GET /api/info" })]),
    );
    await control("counts", { method: "DELETE" });
    expect((await control("counts")).json).toEqual({});

    expect((await send("PUT", "anonymous", { allow: true })).json).toEqual({
      allowAnonymous: true,
    });
    expect((await gql(sim, "{ InfrahubInfo { version } }", { headers: {} })).status).toBe(200);
    await send("PUT", "anonymous", { allow: false });

    await send("POST", "users", { username: "cli-user", password: "pw" });
    await send("POST", "api-tokens", { token: "control-token" });
    expect(
      (
        await gql(sim, "{ InfrahubInfo { version } }", {
          headers: { "X-INFRAHUB-KEY": "control-token" },
        })
      ).status,
    ).toBe(200);
    const tokens = (
      await postJson(`${sim.url}/api/auth/login`, { username: "cli-user", password: "pw" })
    ).json as Record<string, string>;
    await send("POST", "expire-tokens", { kind: "access" });
    const expired = await gql(sim, "{ InfrahubInfo { version } }", {
      headers: { Authorization: `Bearer ${tokens.access_token}` },
    });
    expect(expired.status).toBe(401);
  });

  it("answers mistakes with a JSON error and a fitting status", async () => {
    expect(await control("nothing")).toMatchObject({
      status: 404,
      json: { error: expect.stringContaining("no control route") },
    });
    expect(await send("POST", "faults", "{not json")).toMatchObject({
      status: 400,
      json: { error: "the body is not valid JSON" },
    });
    expect(await send("POST", "faults", { endpoint: "*", kind: "nope" })).toMatchObject({
      status: 400,
    });
    expect(await control("artifacts/ghost/content", { method: "PUT", body: "x" })).toMatchObject({
      status: 404,
    });
    expect(await control("artifacts?branch=ghost")).toMatchObject({
      status: 404,
      json: { error: "Branch: ghost not found." },
    });
    sim.upsertArtifact("main", {
      definition: "VM_Artifact_Definition",
      target: { label: "web-01", id: "t-web-01" },
      content: "dup",
    });
    expect(await control("artifacts/web-01/content", { method: "PUT", body: "x" })).toMatchObject({
      status: 409,
    });
    expect(
      (
        await control("artifacts/web-01/content?definition=VM_Artifact_Definition", {
          method: "PUT",
          body: "y",
        })
      ).json,
    ).toMatchObject({
      content: "y",
    });
  });
});
