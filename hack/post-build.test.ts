import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chartDir, copyCrdsIntoChart } from "./post-build";

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
});
