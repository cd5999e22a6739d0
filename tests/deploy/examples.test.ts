/**
 * The snippets docs/deploy.md tells people to apply (deploy/examples/) are accepted by the CRDs'
 * schemas (server-side dry-run on a real API server) and by the module's admission rules.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "graphql";
import { load, loadAll } from "js-yaml";
import { normaliseAddress } from "../../capabilities/lib/infrahub/redact";
import { sourceFromSecret, WEBHOOK_KEY_LABEL } from "../../capabilities/lib/push/webhook-keys";
import { WEBHOOK_PATH_PREFIX } from "../../capabilities/lib/push/receiver";
import { webhookService } from "../../hack/post-build";
import { infrahubSyncProblems } from "../../capabilities/lib/admission/infrahubsync-admission";
import { startTestCluster, type TestCluster } from "../support/cluster";
import { kubectl, ROOT, type Doc } from "./support";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

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
  kubectl(kc, ["create", "namespace", "pepr-system"]);
  // The PrometheusRule's kind comes with the Prometheus Operator, which this cluster lacks; its
  // expressions are checked against the operator's metrics by hack/prometheusrule.test.ts.
  const files = readdirSync(EXAMPLES)
    .filter(f => f.endsWith(".yaml") && f !== "prometheusrule.yaml")
    .flatMap(f => ["-f", join(EXAMPLES, f)]);
  const out = kubectl(kc, ["apply", "--dry-run=server", ...files]);
  expect(out.trim().split("\n").sort()).toEqual([
    "configmap/vidra-config created (server dry run)",
    "infrahubsync.infrahub.operators.com/webserver created (server dry run)",
    "ingress.networking.k8s.io/vidra-infrahub-webhooks created (server dry run)",
    "secret/infrahub-credentials created (server dry run)",
    "secret/infrahub-main created (server dry run)",
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
  const secret = docs().find(
    d => d.kind === "Secret" && d.metadata.name === "infrahub-credentials",
  )!;
  const sync = docs().find(d => d.kind === "InfrahubSync")!;
  const url = new URL((sync.spec as { source: { infrahubAPIURL: string } }).source.infrahubAPIURL);
  expect((secret.metadata.labels as Record<string, string>)["infrahub-api-url"]).toBe(url.hostname);
});

describe("push sync examples", () => {
  const keySecret = () =>
    docs().find(d => d.kind === "Secret" && d.metadata.name === "infrahub-main")!;
  const syncUrl = () =>
    (docs().find(d => d.kind === "InfrahubSync")!.spec as { source: { infrahubAPIURL: string } })
      .source.infrahubAPIURL;
  const asData = (d: Doc) => ({
    metadata: d.metadata as { name: string },
    data: Object.fromEntries(
      Object.entries(d.stringData as Record<string, string>).map(([k, v]) => [
        k,
        Buffer.from(v).toString("base64"),
      ]),
    ),
  });

  test("the key Secret is labelled, usable, and speaks for the example sync's Infrahub", () => {
    const secret = keySecret();
    expect(secret.metadata.namespace).toBe("pepr-system");
    expect(secret.metadata.labels).toHaveProperty([WEBHOOK_KEY_LABEL]);
    const source = sourceFromSecret(asData(secret));
    expect(typeof source).toBe("object");
    expect((source as { address: string }).address).toBe(normaliseAddress(syncUrl()));
  });

  test("the Ingress sends the webhook path to the Service and port the build makes", () => {
    const ingress = docs().find(d => d.kind === "Ingress")!;
    const path = (ingress.spec as Json).rules[0].http.paths[0];
    const service = webhookService()!;
    expect(path.path).toBe(WEBHOOK_PATH_PREFIX);
    expect(path.backend.service).toEqual({
      name: (service.metadata as { name: string }).name,
      port: { name: (service.spec as Json).ports[0].name },
    });
    expect(ingress.metadata.namespace).toBe((service.metadata as { namespace: string }).namespace);
  });

  test("the Infrahub objects (object file and GraphQL) point at the key Secret's endpoint with its key", () => {
    const file = load(
      readFileSync(join(ROOT, "deploy", "infrahub", "webhooks.yml"), "utf8"),
    ) as Json;
    expect(file).toMatchObject({
      apiVersion: "infrahub.app/v1",
      kind: "Object",
      spec: { kind: "CoreStandardWebhook" },
    });
    const hooks = file.spec.data as Array<Record<string, unknown>>;
    expect(hooks.map(h => h.event_type).sort()).toEqual([
      "infrahub.artifact.created",
      "infrahub.artifact.updated",
    ]);
    const secret = keySecret();
    const stringData = secret.stringData as Record<string, string>;
    for (const h of hooks) {
      expect(h).toMatchObject({
        node_kind: "CoreArtifact",
        validate_certificates: true,
        shared_key: stringData.sharedKey,
      });
      expect(new URL(String(h.url)).pathname).toBe(`${WEBHOOK_PATH_PREFIX}${secret.metadata.name}`);
    }
    const graphql = readFileSync(join(ROOT, "deploy", "infrahub", "webhooks.graphql"), "utf8");
    expect(() => parse(graphql)).not.toThrow();
    for (const h of hooks) {
      expect(graphql).toContain(`name: { value: "${h.name}" }`);
      expect(graphql).toContain(`url: { value: "${h.url}" }`);
      expect(graphql).toContain(`shared_key: { value: "${h.shared_key}" }`);
    }
  });
});
