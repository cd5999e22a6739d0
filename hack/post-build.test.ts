import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addWebhookService, chartDir, copyCrdsIntoChart, webhookService } from "./post-build";

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
