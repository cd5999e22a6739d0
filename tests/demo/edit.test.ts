/**
 * demo:edit's logic against a real simulator seeded with the demo's data (hack/demo/seed.yaml):
 * what the person types becomes the artifact Infrahub would render, through the control API.
 */
import { join } from "node:path";
import { startInfrahubSimulator, type InfrahubSimulator } from "../../hack/infrahub-sim";
import { runEdit, parseEditArgs } from "../../hack/demo/edit";
import { parseWebserver } from "../../hack/demo/webserver";
import { freePort } from "../../hack/control-plane/ports";

let sim: InfrahubSimulator;

beforeAll(async () => {
  sim = await startInfrahubSimulator({
    seed: join(__dirname, "../../hack/demo/seed.yaml"),
    controlApi: true,
  });
});

afterAll(async () => {
  await sim?.stop();
});

const artifact = (branch: string, label: string) =>
  sim.listArtifacts(branch).find(a => a.targetLabel === label)!;

test("an edit re-renders the target's artifact on main: new content, new checksum, the rest untouched", async () => {
  const before = artifact("main", "web-01");
  const message = await runEdit(
    sim.url,
    parseEditArgs(["web-01", "replicas=5", "image=nginx:1.28"]),
    "5s",
  );
  const after = artifact("main", "web-01");
  expect(message).toBe(
    `web-01 on main: replicas 2 → 5, image nginx:1.27 → nginx:1.28\n` +
      `artifact ${before.id}: checksum ${before.checksum!.slice(0, 8)} → ${after.checksum!.slice(0, 8)}\n` +
      "the sync polls every 5s: watch the demo's view pick it up",
  );
  expect(after.checksum).not.toBe(before.checksum);
  expect(parseWebserver(after.content!)).toEqual({
    ...parseWebserver(before.content!),
    replicas: 5,
    image: "nginx:1.28",
  });
  expect(artifact("feature-scale", "web-01").checksum).toBe(before.checksum);
});

test("--branch edits the branch only", async () => {
  const mainWeb02 = artifact("main", "web-02").checksum;
  await runEdit(
    sim.url,
    parseEditArgs(["web-02", "namespace=shop", "--branch", "feature-scale"]),
    "5s",
  );
  expect(parseWebserver(artifact("feature-scale", "web-02").content!).namespace).toBe("shop");
  expect(artifact("main", "web-02").checksum).toBe(mainWeb02);
});

test("--print returns the current manifest; an edit that changes nothing writes nothing", async () => {
  const web03 = artifact("main", "web-03");
  expect(await runEdit(sim.url, parseEditArgs(["web-03", "--print"]), "5s")).toBe(web03.content);
  expect(await runEdit(sim.url, parseEditArgs(["web-03", "replicas=3"]), "5s")).toBe(
    "web-03 on main: nothing (already so); the artifact is unchanged",
  );
  expect(artifact("main", "web-03").updatedAt).toBe(web03.updatedAt);
});

test("an unknown target, an artifact of another shape and a simulator that is gone are explained", async () => {
  await expect(runEdit(sim.url, parseEditArgs(["web-09", "replicas=1"]), "5s")).rejects.toThrow(
    /the simulator answered 404: no artifact with id or target label "web-09" on branch main/,
  );
  sim.setArtifactContent(
    "main",
    artifact("main", "web-03").id,
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
  );
  await expect(runEdit(sim.url, parseEditArgs(["web-03", "replicas=1"]), "5s")).rejects.toThrow(
    /not a webserver manifest of this demo/,
  );
  const nobody = `http://127.0.0.1:${await freePort()}`;
  await expect(runEdit(nobody, parseEditArgs(["web-01", "replicas=1"]), "5s")).rejects.toThrow(
    /does not answer .*is the demo still running\?/,
  );
});
