/**
 * Runs after `npm run build` (npm's postbuild hook):
 * - copies the CRDs (crds/*.yaml) into the Helm chart that `pepr build` wrote, as its crds/
 *   directory, so `helm install` creates them before the module starts (the watcher applies them
 *   at start-up in any case, which also covers upgrades, where Helm leaves crds/ alone);
 * - adds the Service of the Infrahub webhook receiver (the watcher's port 8443, or
 *   VIDRA_WEBHOOK_PORT from pepr.env) to the module manifest and to the chart, which Pepr knows
 *   nothing about.
 * A plain `npx pepr build` skips this step.
 */
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { dump } from "js-yaml";
import { pushConfigFromEnv } from "../capabilities/lib/push/push-config";

const root = resolve(__dirname, "..");

interface PackageJson {
  pepr: { uuid: string; env?: Record<string, string> };
}

const readPackage = (): PackageJson =>
  JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as PackageJson;

/** dist/<uuid>-chart, as Pepr names it. */
export function chartDir(distDir = join(root, "dist")): string {
  return join(distDir, `${readPackage().pepr.uuid}-chart`);
}

/** The port name users put in an Ingress backend. */
export const WEBHOOK_PORT_NAME = "infrahub-hooks";

/**
 * The Service in front of the watcher's webhook receiver: `pepr-<uuid>-infrahub-webhooks` in
 * pepr-system, port 443 (`infrahub-hooks`) to the receiver's port; undefined when the receiver
 * is switched off in pepr.env.
 */
export function webhookService(
  pkg: PackageJson = readPackage(),
): Record<string, unknown> | undefined {
  const config = pushConfigFromEnv(pkg.pepr.env ?? {});
  if (!config.enabled) return undefined;
  const watcher = `pepr-${pkg.pepr.uuid}-watcher`;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: `pepr-${pkg.pepr.uuid}-infrahub-webhooks`,
      namespace: "pepr-system",
      labels: {
        "pepr.dev/controller": "watcher",
        "app.kubernetes.io/component": "infrahub-webhooks",
      },
    },
    spec: {
      selector: { app: watcher, "pepr.dev/controller": "watcher" },
      ports: [{ name: WEBHOOK_PORT_NAME, port: 443, targetPort: config.port, protocol: "TCP" }],
    },
  };
}

/** Adds the webhook Service to the module manifest (once) and to the chart's templates. */
export function addWebhookService(
  moduleYaml: string,
  chart: string,
  service = webhookService(),
): boolean {
  const template = join(chart, "templates", "infrahub-webhooks-service.yaml");
  rmSync(template, { force: true });
  if (!service) return false;
  const name = (service.metadata as { name: string }).name;
  const doc = dump(service, { lineWidth: 120 });
  const current = readFileSync(moduleYaml, "utf8");
  if (!current.includes(`name: ${name}\n`))
    appendFileSync(moduleYaml, `${current.endsWith("\n") ? "" : "\n"}---\n${doc}`);
  writeFileSync(template, `{{- if .Values.watcher.enabled }}\n${doc}{{- end }}\n`);
  return true;
}

/** Replaces <chart>/crds/ with the YAML files of `crdDir`; returns the files copied. */
export function copyCrdsIntoChart(chart: string, crdDir = join(root, "crds")): string[] {
  if (!existsSync(join(chart, "Chart.yaml"))) {
    throw new Error(`${chart}/Chart.yaml is missing: run \`npx pepr build\` first`);
  }
  const target = join(chart, "crds");
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  const files = readdirSync(crdDir)
    .filter(f => f.endsWith(".yaml"))
    .sort();
  for (const f of files) copyFileSync(join(crdDir, f), join(target, f));
  return files;
}

if (require.main === module) {
  try {
    const chart = chartDir();
    const files = copyCrdsIntoChart(chart);
    console.log(`copied ${files.join(", ")} into ${chart}/crds/`);
    const moduleYaml = join(root, "dist", `pepr-module-${readPackage().pepr.uuid}.yaml`);
    if (addWebhookService(moduleYaml, chart))
      console.log(`added the Infrahub webhook Service to ${moduleYaml} and the chart`);
  } catch (err) {
    console.error((err as Error).message);
    process.exitCode = 1;
  }
}
