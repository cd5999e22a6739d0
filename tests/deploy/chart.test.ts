/**
 * The Helm chart `npm run build` leaves in dist/ (Pepr's chart as hack/post-build.ts patched it),
 * linted and rendered by a real helm (built by hack/build-helm.sh), and its rendered objects
 * accepted by a real API server. Post-build edits Pepr's templates and values as text, so only a
 * real helm shows that the result is still a chart that installs.
 *
 * Needs `npm run build` first.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadAll } from "js-yaml";
import { WATCHER_NODE_FLAGS } from "../../hack/node-flags";
import { webhookService } from "../../hack/post-build";
import { startCrdCluster, type KubectlCluster } from "../support/cluster";
import { CHART_DIR, MODULE_NAME, MODULE_NS, ROOT, UUID, type Doc } from "./support";

const RELEASE = UUID;

/** The helm that hack/build-helm.sh built; fails with what to run when it is not there. */
function helmBinary(): string {
  const dir = execFileSync("bash", [join(ROOT, "hack", "build-helm.sh"), "--print-dir"], {
    encoding: "utf8",
  }).trim();
  const helm = join(dir, "helm");
  if (!existsSync(helm)) throw new Error(`${helm} is missing: run \`bash hack/build-helm.sh\``);
  return helm;
}

let helmBin: string;
let helmHome: string;

/** Runs helm with its cache, config and data in a throw-away directory; throws with its stderr. */
function helm(args: string[], input?: string): string {
  try {
    return execFileSync(helmBin, args, {
      input,
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
      cwd: ROOT,
      env: {
        ...process.env,
        HELM_CACHE_HOME: join(helmHome, "cache"),
        HELM_CONFIG_HOME: join(helmHome, "config"),
        HELM_DATA_HOME: join(helmHome, "data"),
      },
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`helm ${args.join(" ")} failed: ${e.stderr || e.stdout || e.message}`);
  }
}

function template(...set: string[]): Doc[] {
  const out = helm(["template", RELEASE, CHART_DIR, ...set.flatMap(s => ["--set", s])]);
  return (loadAll(out) as Array<Doc | null>).filter((d): d is Doc => !!d);
}

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const controller = (docs: Doc[], kind: string, role: string): Json[] =>
  docs.filter(
    d => d.kind === kind && (d as Json).metadata.labels?.["pepr.dev/controller"] === role,
  );

beforeAll(() => {
  helmBin = helmBinary();
  helmHome = mkdtempSync(join(tmpdir(), "chart-test-helm-"));
  if (!existsSync(join(CHART_DIR, "Chart.yaml")))
    throw new Error(`${CHART_DIR}/Chart.yaml is missing: run \`npm run build\` first`);
});

afterAll(() => {
  if (helmHome) rmSync(helmHome, { recursive: true, force: true });
});

describe("the built Helm chart, with a real helm", () => {
  it("passes helm lint", () => {
    expect(helm(["lint", CHART_DIR])).toContain("1 chart(s) linted, 0 chart(s) failed");
  });

  it("renders with default values: one watcher with its Node flags, the admission PDB, the webhook Service", () => {
    const docs = template();
    const [watcher] = controller(docs, "Deployment", "watcher");
    expect(watcher).toBeDefined();
    expect(watcher.spec.replicas).toBe(1);
    const args: string[] = watcher.spec.template.spec.containers[0].args;
    expect(args.slice(0, WATCHER_NODE_FLAGS.length + 1)).toEqual([
      ...WATCHER_NODE_FLAGS,
      "/app/node_modules/pepr/dist/controller.js",
    ]);
    const pdbs = docs.filter(d => d.kind === "PodDisruptionBudget") as Json[];
    expect(pdbs).toHaveLength(1);
    expect(pdbs[0].spec).toEqual({
      minAvailable: 1,
      selector: { matchLabels: { app: MODULE_NAME, "pepr.dev/controller": "admission" } },
    });
    const [admission] = controller(docs, "Deployment", "admission");
    expect(admission.spec.selector).toEqual(pdbs[0].spec.selector);
    const service = webhookService();
    expect(service).toBeDefined();
    expect(
      docs.filter(d => d.kind === "Service" && d.metadata.name === (service as Json).metadata.name),
    ).toEqual([service]);
  });

  it("renders the watcher.replicas value, and refuses one below 1", () => {
    const [watcher] = controller(template("watcher.replicas=2"), "Deployment", "watcher");
    expect(watcher.spec.replicas).toBe(2);
    // The admission Deployment keeps its own count.
    const [admission] = controller(template("watcher.replicas=2"), "Deployment", "admission");
    expect(admission.spec.replicas).toBe(2);
    expect(() => template("watcher.replicas=0")).toThrow("/watcher/replicas");
  });
});

describe("the rendered chart on a real API server", () => {
  let k: KubectlCluster | undefined;

  beforeAll(async () => {
    k = await startCrdCluster("deploy-chart");
  }, 120_000);

  afterAll(async () => {
    await k?.cluster.stop();
  });

  it("is accepted by helm install --dry-run=server and by kubectl apply --dry-run=server", () => {
    const kc = k!.cluster.cp.kubeconfigPath;
    // helm checks the objects against the server's OpenAPI schema and looks for conflicts, but
    // does not send them: the API server's own dry run below does.
    const dry = helm([
      "install",
      RELEASE,
      CHART_DIR,
      "--kubeconfig",
      kc,
      "--namespace",
      "default",
      "--dry-run=server",
      "--set",
      "watcher.replicas=2",
    ]);
    expect(dry).toContain("STATUS: pending-install");
    // The namespaced objects need their namespace to exist for a server dry run.
    k!.kubectl(["create", "namespace", MODULE_NS]);
    const rendered = helm(["template", RELEASE, CHART_DIR, "--set", "watcher.replicas=2"]);
    const docs = (loadAll(rendered) as Array<Doc | null>).filter((d): d is Doc => !!d);
    const out = k!.kubectl(["apply", "--server-side", "--dry-run=server", "-f", "-"], rendered);
    const lines = out.trim().split("\n");
    expect(lines).toHaveLength(docs.length);
    expect(lines.every(l => / (serverside-applied|unchanged) \(server dry run\)$/.test(l))).toBe(
      true,
    );
  });
});
