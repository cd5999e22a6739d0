/**
 * Runs after `npm run build` (npm's postbuild hook) on what `pepr build` wrote to dist/, in the
 * module manifest and the Helm chart alike:
 * - copies the CRDs (crds/*.yaml) into the chart as its crds/ directory, so `helm install` creates
 *   them before the module starts (the watcher applies them at start-up in any case, which also
 *   covers upgrades, where Helm leaves crds/ alone);
 * - exempts the module's own ServiceAccount from its validating webhook (`matchConditions`): the
 *   webhook fails closed, and without this the operator could not write VidraResources or remove
 *   their finalizers while the admission pods are down. The CRD schema still checks those writes;
 * - adds a PodDisruptionBudget that keeps one of the two admission pods up through voluntary
 *   disruptions (node drains), since every InfrahubSync and VidraResource write waits on them.
 * - starts the watcher's Node.js with the heap options of hack/node-flags.ts (in the chart as
 *   `watcher.nodeFlags`);
 * - makes the chart's watcher replica count the value `watcher.replicas` (default 1; 2 runs a
 *   standby behind the leader election), and gives the watcher's values a schema of their own that
 *   allows these two (hack/chart-watcher.ts);
 * - adds the Service of the Infrahub webhook receiver (the watcher's port 8443, or
 *   VIDRA_WEBHOOK_PORT from pepr.env) to the module manifest and to the chart, which Pepr knows
 *   nothing about.
 * A plain `npx pepr build` (or `npx pepr deploy`) skips this step.
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
import { dump, loadAll } from "js-yaml";
import { pushConfigFromEnv } from "../capabilities/lib/push/push-config";
import { withChartReplicas, withChartReplicaValue, withWatcherSchema } from "./chart-watcher";
import { withChartNodeFlags, withChartNodeFlagValues, withNodeFlags } from "./node-flags";

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

type Doc = Record<string, unknown> & {
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
};

/** The name of the matchCondition that exempts the operator's own identity. */
export const EXEMPTION_NAME = "not-the-operator-itself";

/** The CEL expression of that matchCondition for a ServiceAccount. */
export function exemptionExpression(namespace: string, serviceAccount: string): string {
  return `request.userInfo.username != 'system:serviceaccount:${namespace}:${serviceAccount}'`;
}

function admissionDeployment(docs: Doc[]): Doc {
  const d = docs.find(
    x => x.kind === "Deployment" && x.metadata?.labels?.["pepr.dev/controller"] === "admission",
  );
  if (!d) throw new Error("the module manifest has no admission Deployment");
  return d;
}

/** The ServiceAccount the module's pods run as (both Deployments share it in Pepr 1.1.4). */
function moduleServiceAccount(docs: Doc[]): { namespace: string; name: string } {
  const names = new Set(
    docs
      .filter(d => d.kind === "Deployment")
      .map(d => {
        const pod = (d.spec?.template as { spec?: { serviceAccountName?: string } }).spec;
        return `${d.metadata?.namespace}/${pod?.serviceAccountName}`;
      }),
  );
  if (names.size !== 1)
    throw new Error(`expected one ServiceAccount for the module's Deployments, got ${[...names]}`);
  const [namespace, name] = [...names][0].split("/");
  return { namespace, name };
}

/** The PodDisruptionBudget of the admission pods, selecting exactly them. */
export function admissionPdb(docs: Doc[]): Doc {
  const d = admissionDeployment(docs);
  const selector = (d.spec?.selector as { matchLabels?: Record<string, string> }).matchLabels;
  if (!selector) throw new Error("the admission Deployment has no matchLabels selector");
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: {
      name: d.metadata?.name,
      namespace: d.metadata?.namespace,
      labels: { ...(d.metadata?.labels ?? {}) },
    },
    spec: { minAvailable: 1, selector: { matchLabels: { ...selector } } },
  };
}

/**
 * The module manifest with the operator's exemption on every webhook, the admission pods'
 * PodDisruptionBudget and the watcher's Node.js options (replacing earlier ones, so running it
 * twice changes nothing).
 */
export function postProcessManifest(text: string): string {
  const docs = (loadAll(text) as Array<Doc | null>).filter((d): d is Doc => !!d);
  const sa = moduleServiceAccount(docs);
  const condition = {
    name: EXEMPTION_NAME,
    expression: exemptionExpression(sa.namespace, sa.name),
  };
  for (const d of docs) {
    if (d.kind !== "ValidatingWebhookConfiguration" && d.kind !== "MutatingWebhookConfiguration")
      continue;
    for (const w of (d.webhooks as Array<Record<string, unknown>>) ?? []) {
      const others = ((w.matchConditions as Array<{ name: string }>) ?? []).filter(
        c => c.name !== EXEMPTION_NAME,
      );
      w.matchConditions = [...others, condition];
    }
  }
  const watcher = docs.find(
    x => x.kind === "Deployment" && x.metadata?.labels?.["pepr.dev/controller"] === "watcher",
  );
  const pod = (watcher?.spec?.template as { spec?: { containers?: Array<{ args?: string[] }> } })
    ?.spec;
  for (const c of pod?.containers ?? []) c.args = withNodeFlags(c.args ?? []);
  const out = docs.filter(d => d.kind !== "PodDisruptionBudget");
  out.push(admissionPdb(docs));
  return out.map(d => dump(d, { lineWidth: -1, noRefs: true })).join("---\n");
}

/** The chart's webhook template with the same exemption (before each `sideEffects:` line). */
export function exemptInChartWebhook(template: string, serviceAccount: string): string {
  if (template.includes(EXEMPTION_NAME)) return template;
  const block =
    "    matchConditions:\n" +
    `      - name: ${EXEMPTION_NAME}\n` +
    `        expression: "${exemptionExpression("pepr-system", serviceAccount)}"\n`;
  const out = template.replace(/^( {4}sideEffects: )/gm, `${block}$1`);
  if (out === template) throw new Error("the chart's webhook template has no sideEffects line");
  return out;
}

/** The chart template of the admission pods' PodDisruptionBudget (off with the admission pods). */
export const CHART_PDB_TEMPLATE = `{{- if .Values.admission.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ .Values.uuid }}
  namespace: pepr-system
  labels:
    {{- toYaml .Values.admission.labels | nindent 4 }}
spec:
  minAvailable: 1
  selector:
    matchLabels:
      app: {{ .Values.uuid }}
      pepr.dev/controller: admission
{{- end }}
`;

/**
 * Applies the exemption, the PodDisruptionBudget and the watcher's Node.js options to dist/'s
 * manifest and chart, and the watcher's replica value and values schema to the chart.
 */
export function postProcessDist(chart: string, moduleYaml: string): void {
  const text = readFileSync(moduleYaml, "utf8");
  const processed = postProcessManifest(text);
  writeFileSync(moduleYaml, processed);
  const docs = (loadAll(processed) as Array<Doc | null>).filter((d): d is Doc => !!d);
  const sa = moduleServiceAccount(docs);
  const hook = join(chart, "templates", "validation-webhook.yaml");
  writeFileSync(hook, exemptInChartWebhook(readFileSync(hook, "utf8"), sa.name));
  writeFileSync(join(chart, "templates", "admission-pdb.yaml"), CHART_PDB_TEMPLATE);
  const watcher = join(chart, "templates", "watcher-deployment.yaml");
  writeFileSync(watcher, withChartReplicas(withChartNodeFlags(readFileSync(watcher, "utf8"))));
  const values = join(chart, "values.yaml");
  writeFileSync(
    values,
    withChartReplicaValue(withChartNodeFlagValues(readFileSync(values, "utf8"))),
  );
  const schema = join(chart, "values.schema.json");
  if (existsSync(schema)) writeFileSync(schema, withWatcherSchema(readFileSync(schema, "utf8")));
}

if (require.main === module) {
  try {
    const chart = chartDir();
    const files = copyCrdsIntoChart(chart);
    console.log(`copied ${files.join(", ")} into ${chart}/crds/`);
    const moduleYaml = join(root, "dist", `pepr-module-${readPackage().pepr.uuid}.yaml`);
    postProcessDist(chart, moduleYaml);
    console.log(
      `exempted the module's ServiceAccount from its webhook and added the admission PodDisruptionBudget in ${moduleYaml} and ${chart}`,
    );
    if (addWebhookService(moduleYaml, chart))
      console.log(`added the Infrahub webhook Service to ${moduleYaml} and the chart`);
  } catch (err) {
    console.error((err as Error).message);
    process.exitCode = 1;
  }
}
