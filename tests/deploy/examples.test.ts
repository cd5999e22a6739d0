/**
 * The snippets docs/deploy.md tells people to apply (deploy/examples/) are accepted by the CRDs'
 * schemas (server-side dry-run on a real API server) and by the module's admission rules.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadAll } from "js-yaml";
import { infrahubSyncProblems } from "../../capabilities/lib/admission/infrahubsync-admission";
import { startTestCluster, type TestCluster } from "../support/cluster";
import { kubectl, ROOT, type Doc } from "./support";

const EXAMPLES = join(ROOT, "deploy", "examples");
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster({ name: "deploy-examples", controllerManager: false });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

const docs = (): Doc[] =>
  readdirSync(EXAMPLES)
    .filter(f => f.endsWith(".yaml"))
    .flatMap(f => loadAll(readFileSync(join(EXAMPLES, f), "utf8")) as Doc[]);

test("the examples pass the API server's validation of the installed CRDs", () => {
  const kc = cluster.cp.kubeconfigPath;
  kubectl(kc, ["apply", "--server-side", "-f", join(ROOT, "crds")]);
  kubectl(kc, [
    "wait",
    "--for=condition=Established",
    "--timeout=60s",
    "crd/infrahubsyncs.infrahub.operators.com",
    "crd/vidraresources.infrahub.operators.com",
  ]);
  const out = kubectl(kc, ["apply", "--dry-run=server", "-f", EXAMPLES]);
  expect(out.trim().split("\n").sort()).toEqual([
    "configmap/vidra-config created (server dry run)",
    "infrahubsync.infrahub.operators.com/webserver created (server dry run)",
    "secret/infrahub-credentials created (server dry run)",
  ]);
});

test("the example InfrahubSync passes the module's admission rules", () => {
  const syncs = docs().filter(d => d.kind === "InfrahubSync");
  expect(syncs).toHaveLength(1);
  expect(infrahubSyncProblems(syncs[0])).toEqual([]);
  // The rules do look at the object: the same sync without its URL is refused.
  const source = (syncs[0].spec as { source: Record<string, unknown> }).source;
  const { infrahubAPIURL: _url, ...noUrl } = source;
  expect(infrahubSyncProblems({ ...syncs[0], spec: { source: noUrl } })).not.toEqual([]);
});

test("the credentials example carries Vidra's label with a bare host", () => {
  const secret = docs().find(d => d.kind === "Secret")!;
  const sync = docs().find(d => d.kind === "InfrahubSync")!;
  const url = new URL((sync.spec as { source: { infrahubAPIURL: string } }).source.infrahubAPIURL);
  expect((secret.metadata.labels as Record<string, string>)["infrahub-api-url"]).toBe(url.hostname);
});
