import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump, loadAll } from "js-yaml";
import {
  addWebhookService,
  chartDir,
  copyCrdsIntoChart,
  EXEMPTION_NAME,
  exemptInChartWebhook,
  postProcessManifest,
  webhookService,
} from "./post-build";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "post-build-"));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("post-build", () => {
  it("replaces the chart's crds/ with the project's CRD files", () => {
    const chart = join(dir, "chart");
    mkdirSync(join(chart, "crds"), { recursive: true });
    writeFileSync(join(chart, "Chart.yaml"), "name: x\n");
    writeFileSync(join(chart, "crds", "stale.yaml"), "old\n");
    const crds = join(dir, "crds");
    mkdirSync(join(crds, "sources"), { recursive: true });
    writeFileSync(join(crds, "a.yaml"), "kind: CustomResourceDefinition\n");
    writeFileSync(join(crds, "sources", "a.ts"), "export {};\n");
    expect(copyCrdsIntoChart(chart, crds)).toEqual(["a.yaml"]);
    expect(readdirSync(join(chart, "crds"))).toEqual(["a.yaml"]);
    expect(readFileSync(join(chart, "crds", "a.yaml"), "utf8")).toBe(
      "kind: CustomResourceDefinition\n",
    );
  });

  it("says to run pepr build when there is no chart", () => {
    expect(() => copyCrdsIntoChart(join(dir, "missing"))).toThrow("run `npx pepr build` first");
  });

  it("finds the chart Pepr names after the module uuid", () => {
    expect(chartDir("/x/dist")).toBe("/x/dist/vidra-pepr-chart");
  });

  it("adds the webhook receiver's Service to the manifest once, and to the chart", () => {
    const chart = join(dir, "chart");
    mkdirSync(join(chart, "templates"), { recursive: true });
    const manifest = join(dir, "module.yaml");
    writeFileSync(manifest, "kind: Deployment\n");
    const pkg = { pepr: { uuid: "vidra-pepr", env: {} } };
    const service = webhookService(pkg);
    expect(service).toEqual({
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "pepr-vidra-pepr-infrahub-webhooks",
        namespace: "pepr-system",
        labels: {
          "pepr.dev/controller": "watcher",
          "app.kubernetes.io/component": "infrahub-webhooks",
        },
      },
      spec: {
        selector: { app: "pepr-vidra-pepr-watcher", "pepr.dev/controller": "watcher" },
        ports: [{ name: "infrahub-hooks", port: 443, targetPort: 8443, protocol: "TCP" }],
      },
    });
    expect(addWebhookService(manifest, chart, service)).toBe(true);
    expect(addWebhookService(manifest, chart, service)).toBe(true);
    const text = readFileSync(manifest, "utf8");
    expect(text.match(/name: pepr-vidra-pepr-infrahub-webhooks/g)).toHaveLength(1);
    expect(text.startsWith("kind: Deployment\n---\napiVersion: v1\nkind: Service\n")).toBe(true);
    const template = readFileSync(
      join(chart, "templates", "infrahub-webhooks-service.yaml"),
      "utf8",
    );
    expect(template).toMatch(/^\{\{- if \.Values\.watcher\.enabled \}\}\n[\s\S]*\{\{- end \}\}\n$/);
  });

  it("follows VIDRA_WEBHOOK_PORT and leaves the Service out when the receiver is off", () => {
    const port = webhookService({ pepr: { uuid: "m", env: { VIDRA_WEBHOOK_PORT: "9443" } } });
    expect((port!.spec as { ports: Array<{ targetPort: number }> }).ports[0].targetPort).toBe(9443);
    expect(
      webhookService({ pepr: { uuid: "m", env: { VIDRA_WEBHOOK_RECEIVER: "off" } } }),
    ).toBeUndefined();
  });
});

/** The shape of what `pepr build` writes, reduced to what post-build reads. */
function builtManifest(): string {
  const pod = (labels: Record<string, string>) => ({
    metadata: { labels },
    spec: { serviceAccountName: "pepr-mod", containers: [] },
  });
  const docs = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "pepr-system" } },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: "pepr-mod-watcher",
        namespace: "pepr-system",
        labels: { app: "pepr-mod-watcher", "pepr.dev/controller": "watcher" },
      },
      spec: {
        selector: { matchLabels: { app: "pepr-mod-watcher", "pepr.dev/controller": "watcher" } },
        template: pod({ app: "pepr-mod-watcher", "pepr.dev/controller": "watcher" }),
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: "pepr-mod",
        namespace: "pepr-system",
        labels: { app: "pepr-mod", "pepr.dev/controller": "admission" },
      },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "pepr-mod", "pepr.dev/controller": "admission" } },
        template: pod({ app: "pepr-mod", "pepr.dev/controller": "admission" }),
      },
    },
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name: "pepr-mod" },
      webhooks: [{ name: "pepr-mod.pepr.dev", failurePolicy: "Fail", sideEffects: "None" }],
    },
  ];
  return docs.map(d => dump(d)).join("---\n");
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe("post-build: the operator's exemption and the admission PodDisruptionBudget", () => {
  it("exempts the module's ServiceAccount on every webhook", () => {
    const docs = loadAll(postProcessManifest(builtManifest())) as Json[];
    const hook = docs.find(d => d.kind === "ValidatingWebhookConfiguration");
    expect(hook.webhooks[0].matchConditions).toEqual([
      {
        name: EXEMPTION_NAME,
        expression: "request.userInfo.username != 'system:serviceaccount:pepr-system:pepr-mod'",
      },
    ]);
  });

  it("adds a PodDisruptionBudget that selects the admission pods and not the watcher", () => {
    const docs = loadAll(postProcessManifest(builtManifest())) as Json[];
    const pdbs = docs.filter(d => d.kind === "PodDisruptionBudget");
    expect(pdbs).toHaveLength(1);
    expect(pdbs[0]).toMatchObject({
      apiVersion: "policy/v1",
      metadata: { name: "pepr-mod", namespace: "pepr-system" },
      spec: {
        minAvailable: 1,
        selector: { matchLabels: { app: "pepr-mod", "pepr.dev/controller": "admission" } },
      },
    });
  });

  it("changes nothing when run twice", () => {
    const once = postProcessManifest(builtManifest());
    expect(postProcessManifest(once)).toBe(once);
  });

  it("adds the same exemption to the chart's webhook template", () => {
    const template =
      "webhooks:\n  - name: {{ .Values.uuid }}.pepr.dev\n    sideEffects: None\n    timeoutSeconds: 10\n";
    const out = exemptInChartWebhook(template, "pepr-mod");
    expect(out).toContain(
      `    matchConditions:\n      - name: ${EXEMPTION_NAME}\n        expression: "request.userInfo.username != 'system:serviceaccount:pepr-system:pepr-mod'"\n    sideEffects: None\n`,
    );
    expect(exemptInChartWebhook(out, "pepr-mod")).toBe(out);
    expect(() => exemptInChartWebhook("webhooks: []\n", "x")).toThrow("no sideEffects line");
  });
});
