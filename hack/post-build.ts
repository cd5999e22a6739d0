/**
 * Runs after `npm run build` (npm's postbuild hook): copies the CRDs (crds/*.yaml) into the Helm
 * chart that `pepr build` wrote, as its crds/ directory, so `helm install` creates them before the
 * module starts. A plain `npx pepr build` skips this step; the watcher applies the CRDs at start-up
 * in any case (capabilities/lib/crd-install.ts), which also covers upgrades, where Helm leaves crds/
 * alone.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(__dirname, "..");

/** dist/<uuid>-chart, as Pepr names it. */
export function chartDir(distDir = join(root, "dist")): string {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    pepr: { uuid: string };
  };
  return join(distDir, `${pkg.pepr.uuid}-chart`);
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
  } catch (err) {
    console.error((err as Error).message);
    process.exitCode = 1;
  }
}
