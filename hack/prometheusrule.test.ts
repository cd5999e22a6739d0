/**
 * deploy/examples/prometheusrule.yaml: a PrometheusRule whose expressions parse (Prometheus's own
 * PromQL grammar, @prometheus-io/lezer-promql) and name only metrics the operator exports, so a
 * renamed metric fails here instead of silencing an alert. (promtool is not on the machines; the
 * grammar checks syntax, not types.)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { parser } from "@prometheus-io/lezer-promql";
import { OperatorMetrics } from "../capabilities/lib/metrics";

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const file = join(__dirname, "..", "deploy", "examples", "prometheusrule.yaml");
const doc = load(readFileSync(file, "utf8")) as {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: { groups: Array<{ name: string; rules: Rule[] }> };
};
const rules = doc.spec.groups.flatMap(g => g.rules);

/**
 * The metric names an expression selects, the label names its selectors match on (`metric.label`),
 * and the places it does not parse.
 */
function analyse(expr: string): { names: string[]; matchers: string[]; errors: string[] } {
  const names: string[] = [];
  const matchers: string[] = [];
  const errors: string[] = [];
  const cursor = parser.parse(expr).cursor();
  do {
    if (cursor.name === "LabelName" && cursor.node.parent?.parent?.name === "LabelMatchers") {
      const selector = cursor.node.parent.parent.parent;
      const metric = selector?.getChild("Identifier");
      if (metric)
        matchers.push(
          `${expr.slice(metric.from, metric.to)}.${expr.slice(cursor.from, cursor.to)}`,
        );
    }
    if (cursor.type.isError)
      errors.push(`at ${cursor.from}: "${expr.slice(cursor.from, cursor.from + 20)}"`);
    if (cursor.name === "Identifier" && cursor.node.parent?.name === "VectorSelector")
      names.push(expr.slice(cursor.from, cursor.to));
  } while (cursor.next());
  return { names, matchers, errors };
}

/** Label names of the operator's metrics, as `metric.label`. */
function exportedLabels(): Set<string> {
  const registry = new OperatorMetrics().registry;
  return new Set(
    registry.getMetricsAsArray().flatMap(m => {
      const { name, labelNames = [] } = m as unknown as { name: string; labelNames?: string[] };
      return labelNames.map(l => `${name}.${l}`);
    }),
  );
}

/** Every series name the operator's registry can export (histograms as their _bucket/_sum/_count). */
async function exportedNames(): Promise<Set<string>> {
  const metrics = await new OperatorMetrics().registry.getMetricsAsJSON();
  return new Set(
    metrics.flatMap(m =>
      String(m.type) === "histogram"
        ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`]
        : [m.name],
    ),
  );
}

test("the file is a PrometheusRule with named groups and alerts", () => {
  expect(doc).toMatchObject({ apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule" });
  expect(doc.metadata.name).toBeTruthy();
  expect(doc.spec.groups.length).toBeGreaterThan(0);
  for (const g of doc.spec.groups) {
    expect(g.name).toBeTruthy();
    expect(g.rules.length).toBeGreaterThan(0);
  }
  const alerts = rules.map(r => r.alert);
  expect(new Set(alerts).size).toBe(alerts.length);
  for (const r of rules) {
    expect(r.alert).toMatch(/^[A-Z][A-Za-z]+$/);
    expect(typeof r.expr).toBe("string");
    if (r.for !== undefined) expect(r.for).toMatch(/^\d+[smh]$/);
    expect(["warning", "critical"]).toContain(r.labels?.severity);
    expect(r.annotations?.summary).toBeTruthy();
    expect(r.annotations?.description).toBeTruthy();
  }
});

test("the alerts cover syncs, errors, queues, the API server, overdue polls and leadership", () => {
  const used = new Set(rules.flatMap(r => analyse(r.expr).names));
  for (const name of [
    "vidra_sync_last_success_timestamp_seconds",
    "vidra_sync_ready",
    "controller_runtime_reconcile_errors_total",
    "controller_runtime_reconcile_total",
    "workqueue_depth",
    "workqueue_longest_running_processor_seconds",
    "rest_client_requests_total",
    "vidra_syncs_poll_overdue",
    "vidra_leader",
  ])
    expect(used).toContain(name);
});

test.each(rules.map(r => [r.alert ?? r.record, r.expr]))(
  "%s parses and names only metrics the operator exports",
  async (_alert, expr) => {
    const { names, errors } = analyse(expr as string);
    expect(errors).toEqual([]);
    expect(names.length).toBeGreaterThan(0);
    const exported = await exportedNames();
    expect(names.filter(n => !exported.has(n))).toEqual([]);
    const { matchers } = analyse(expr as string);
    const labels = exportedLabels();
    expect(matchers.filter(m => !labels.has(m))).toEqual([]);
  },
);

test("the checks can fail: a syntax error and an unknown metric are caught", async () => {
  expect(analyse("rate(vidra_leader[5m]").errors).not.toEqual([]);
  expect(analyse("sum(vidra_leader) by").errors).not.toEqual([]);
  const exported = await exportedNames();
  expect(exported.has(analyse("vidra_sync_ready_total > 0").names[0])).toBe(false);
  expect(analyse('rate(a{x="1"}[5m]) / b').names).toEqual(["a", "b"]);
  expect(analyse('rate(a{x="1", y=~"z"}[5m]) / b{w!="v"}').matchers).toEqual(["a.x", "a.y", "b.w"]);
  const labels = exportedLabels();
  expect(labels.has("controller_runtime_reconcile_total.controller")).toBe(true);
  expect(labels.has("controller_runtime_reconcile_total.kind")).toBe(false);
});
