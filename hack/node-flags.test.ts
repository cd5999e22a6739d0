import { spawnSync } from "node:child_process";
import { dump, loadAll } from "js-yaml";
import { moduleNodeFlags, peprEnv } from "./module-runner";
import {
  WATCHER_NODE_FLAGS,
  withChartNodeFlags,
  withChartNodeFlagValues,
  withNodeFlags,
} from "./node-flags";
import { postProcessManifest } from "./post-build";

const CONTROLLER = "/app/node_modules/pepr/dist/controller.js";

describe("the watcher's Node.js options", () => {
  it("are accepted by this Node and change V8's heap sizing", () => {
    // A full GC with --trace-gc-verbose prints the old generation's new limit with the growing
    // factor it used ("(4.0)" with Node's defaults here); the young generation's committed size
    // shows the semi-space cap.
    const script = `
      const v8 = require("v8");
      let keep = [];
      for (let i = 0; i < 300000; i++) keep.push({ i, s: "x" + i });
      keep = null;
      global.gc();
      const young = v8.getHeapSpaceStatistics().find(s => s.space_name === "new_space");
      console.log("young=" + young.space_size);`;
    const run = spawnSync(
      process.execPath,
      [...WATCHER_NODE_FLAGS, "--expose-gc", "--trace-gc-verbose", "-e", script],
      { encoding: "utf8" },
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const percent = Number(/--heap-growing-percent=(\d+)/.exec(WATCHER_NODE_FLAGS.join(" "))![1]);
    expect(run.stdout).toMatch(
      new RegExp(`\\[HeapController\\] Limit: .* \\(${(1 + percent / 100).toFixed(1)}\\)`),
    );
    const semiMiB = Number(/--max-semi-space-size=(\d+)/.exec(WATCHER_NODE_FLAGS.join(" "))![1]);
    const young = Number(/young=(\d+)/.exec(run.stdout)![1]);
    expect(young).toBeLessThanOrEqual(2 * semiMiB * 1024 * 1024);
  });

  it("go in front of the script, replacing earlier values of the same options", () => {
    expect(withNodeFlags([CONTROLLER, "hash"], ["--a=1", "--b=2"])).toEqual([
      "--a=1",
      "--b=2",
      CONTROLLER,
      "hash",
    ]);
    expect(withNodeFlags(["--a=9", CONTROLLER, "hash"], ["--a=1"])).toEqual([
      "--a=1",
      CONTROLLER,
      "hash",
    ]);
  });

  it("are on the watcher's container in the module manifest, not on the admission pods'", () => {
    const deployment = (role: string) => ({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: `pepr-mod-${role}`,
        namespace: "pepr-system",
        labels: { "pepr.dev/controller": role },
      },
      spec: {
        selector: { matchLabels: { app: `pepr-mod-${role}`, "pepr.dev/controller": role } },
        template: {
          metadata: { labels: { app: `pepr-mod-${role}`, "pepr.dev/controller": role } },
          spec: {
            serviceAccountName: "pepr-mod",
            containers: [{ name: "server", args: [CONTROLLER, "hash"] }],
          },
        },
      },
    });
    const manifest = [deployment("watcher"), deployment("admission")]
      .map(d => dump(d))
      .join("---\n");
    const once = postProcessManifest(manifest);
    expect(postProcessManifest(once)).toBe(once);
    const args = (role: string) =>
      (
        (loadAll(once) as Array<Record<string, never>>).find(
          d => d.kind === "Deployment" && d.metadata["labels"]["pepr.dev/controller"] === role,
        ) as unknown as {
          spec: { template: { spec: { containers: Array<{ args: string[] }> } } };
        }
      ).spec.template.spec.containers[0].args;
    expect(args("watcher")).toEqual([...WATCHER_NODE_FLAGS, CONTROLLER, "hash"]);
    expect(args("admission")).toEqual([CONTROLLER, "hash"]);
  });

  it("come from the chart's watcher.nodeFlags value, once", () => {
    const template = `          args:\n            - ${CONTROLLER}\n            - {{ .Values.hash }}\n`;
    const out = withChartNodeFlags(template);
    expect(out).toBe(
      "          args:\n" +
        "            {{- range .Values.watcher.nodeFlags }}\n" +
        "            - {{ . | quote }}\n" +
        "            {{- end }}\n" +
        `            - ${CONTROLLER}\n            - {{ .Values.hash }}\n`,
    );
    expect(withChartNodeFlags(out)).toBe(out);
    expect(() => withChartNodeFlags("args:\n  - other.js\n")).toThrow(/controller\.js/);

    const values = "admission:\n  enabled: true\nwatcher:\n  enabled: true\n  env: []\n";
    const withFlags = withChartNodeFlagValues(values, ["--a=1", "--b=2"]);
    expect(withFlags).toBe(
      "admission:\n  enabled: true\nwatcher:\n  nodeFlags:\n    - '--a=1'\n    - '--b=2'\n  enabled: true\n  env: []\n",
    );
    expect(withChartNodeFlagValues(withFlags, ["--a=1", "--b=2"])).toBe(withFlags);
    expect(withChartNodeFlagValues(withFlags, ["--c=3"])).toBe(
      "admission:\n  enabled: true\nwatcher:\n  nodeFlags:\n    - '--c=3'\n  enabled: true\n  env: []\n",
    );
  });

  it("come with a fixed glibc mmap threshold in pepr.env, which the tests' module processes get too", () => {
    // A fixed threshold turns off glibc's dynamic one, under which one large freed buffer let the
    // main heap keep tens of MiB (BENCHMARKS.md §5b).
    expect(peprEnv()).toMatchObject({ MALLOC_MMAP_THRESHOLD_: "131072" });
  });

  it("are what the tests' and benchmarks' module processes run with, unless a benchmark overrides them", () => {
    expect(moduleNodeFlags({})).toEqual([...WATCHER_NODE_FLAGS]);
    expect(moduleNodeFlags({ VIDRA_MODULE_NODE_FLAGS: "" })).toEqual([]);
    expect(moduleNodeFlags({ VIDRA_MODULE_NODE_FLAGS: " --a=1  --b=2 " })).toEqual([
      "--a=1",
      "--b=2",
    ]);
  });
});
