import { withWatcherValue } from "./chart-values";
/**
 * The Node.js (V8) options the watcher runs with: in the module manifest's and the chart's watcher
 * Deployment (post-build adds them before Pepr's controller.js, whose `fork()` of the module passes
 * them on), and in every module process the tests, the benchmarks and `npm start` run
 * (hack/module-runner.ts), so what is measured is what is deployed.
 *
 * Why: with 5,000 syncs the live heap after a full GC is about 90-110 MiB, but V8's default heap
 * growing factor (up to 4x, chosen from GC speed) let the old generation stay committed at about
 * twice that, and the young generation took 32 MiB (two 16 MiB semi-spaces); the module's RSS sat
 * at 361 MiB against issue 13's 300 MiB target. The numbers behind each value are in BENCHMARKS.md
 * (section 5b) and README ("Memory").
 * - `--heap-growing-percent`: the next full GC starts when the old generation has grown by this
 *   share of what survived the last one (V8 reads it at every GC). Not allowed in NODE_OPTIONS,
 *   hence command-line flags rather than pepr.env.
 * - `--max-semi-space-size` (MiB): caps each of the young generation's two semi-spaces; the
 *   operator's short-lived garbage (request and response bodies, parsed objects) dies young at
 *   this size too.
 */
export const WATCHER_NODE_FLAGS: readonly string[] = [
  "--heap-growing-percent=40",
  "--max-semi-space-size=4",
];

/** The option's name (`--x` of `--x=1`), to tell ours from ones a user set by hand. */
const flagName = (flag: string): string => flag.split("=")[0];

/**
 * `args` with `flags` in front, replacing any earlier value of the same options (so running
 * post-build twice, or on a manifest a user edited, leaves one of each).
 */
export function withNodeFlags(args: readonly string[], flags = WATCHER_NODE_FLAGS): string[] {
  const ours = new Set(flags.map(flagName));
  return [...flags, ...args.filter(a => !ours.has(flagName(a)))];
}

/** The chart value holding the flags, so `helm install --set` can change them. */
export const CHART_VALUE = "nodeFlags";

/**
 * The chart's watcher Deployment template with the flags from `.Values.watcher.nodeFlags` in
 * front of controller.js (once).
 */
export function withChartNodeFlags(template: string): string {
  if (template.includes(`.Values.watcher.${CHART_VALUE}`)) return template;
  const out = template.replace(
    /^( *)- \/app\/node_modules\/pepr\/dist\/controller\.js$/m,
    (line, indent: string) =>
      `${indent}{{- range .Values.watcher.${CHART_VALUE} }}\n` +
      `${indent}- {{ . | quote }}\n` +
      `${indent}{{- end }}\n${line}`,
  );
  if (out === template)
    throw new Error("the chart's watcher Deployment has no controller.js argument");
  return out;
}

/** The chart's values.yaml with `watcher.nodeFlags` (replacing an earlier list). */
export function withChartNodeFlagValues(values: string, flags = WATCHER_NODE_FLAGS): string {
  return withWatcherValue(values, CHART_VALUE, [
    `  ${CHART_VALUE}:`,
    ...flags.map(f => `    - '${f}'`),
  ]);
}
