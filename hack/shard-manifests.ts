/**
 * `npm run shard:manifests -- --name b --keys b [--unlabelled] [--replicas 2]` prints the objects
 * of one more shard, made from the built module manifest (dist/pepr-module-<uuid>.yaml, so run
 * `npm run build` first): the watcher Deployment under the name `<watcher>-<name>`, with
 * VIDRA_SHARD_KEYS / VIDRA_SHARD_UNLABELLED set in its environment and its own `app` label, and
 * copies of the watcher's metrics Service and Infrahub webhook Service that select it. Everything
 * else (ServiceAccount, ClusterRole, module and TLS Secrets, admission) is the installed module's,
 * shared by every shard. Apply the output with `kubectl apply --server-side -f -`.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { dump, loadAll } from "js-yaml";
import { shardFromEnv } from "../capabilities/lib/shard/shard";

type Doc = {
  kind?: string;
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  [k: string]: unknown;
};

interface EnvVar {
  name: string;
  value?: string;
}

interface DeploymentSpec {
  replicas?: number;
  selector: { matchLabels: Record<string, string> };
  template: {
    metadata: { labels: Record<string, string> };
    spec: { containers: Array<{ env?: EnvVar[] }> };
  };
}

export interface ShardOptions {
  /** Suffix of the objects' names: lowercase letters, digits and '-'. */
  name: string;
  keys: string[];
  unlabelled: boolean;
  replicas: number;
}

const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;

/** The extra objects of one shard, from the built module manifest's documents. */
export function shardObjects(docs: Doc[], opts: ShardOptions): Doc[] {
  if (!/^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/.test(opts.name))
    throw new Error(
      `--name ${JSON.stringify(opts.name)}: use up to 32 lowercase letters, digits or '-'`,
    );
  if (!Number.isInteger(opts.replicas) || opts.replicas < 1)
    throw new Error(`--replicas must be a positive integer, got ${opts.replicas}`);
  // The same checks as the watcher makes at start-up, so a bad shard fails here, not in a pod.
  shardFromEnv({
    VIDRA_SHARD_KEYS: opts.keys.join(","),
    VIDRA_SHARD_UNLABELLED: String(opts.unlabelled),
  });
  const watcher = docs.find(
    d => d.kind === "Deployment" && d.metadata?.labels?.["pepr.dev/controller"] === "watcher",
  );
  if (!watcher?.metadata?.name) throw new Error("the manifest has no watcher Deployment");
  const base = watcher.metadata.name;
  const app = `${base}-${opts.name}`;
  const baseApp = (watcher.spec as unknown as DeploymentSpec).selector.matchLabels.app;

  const deployment = clone(watcher);
  deployment.metadata = { ...deployment.metadata, name: app };
  deployment.metadata.labels = { ...deployment.metadata.labels, app };
  const spec = deployment.spec as unknown as DeploymentSpec;
  spec.replicas = opts.replicas;
  spec.selector.matchLabels = { ...spec.selector.matchLabels, app };
  spec.template.metadata.labels = { ...spec.template.metadata.labels, app };
  for (const c of spec.template.spec.containers) {
    c.env = [
      ...(c.env ?? []).filter(e => !e.name.startsWith("VIDRA_SHARD_")),
      { name: "VIDRA_SHARD_KEYS", value: opts.keys.join(",") },
      { name: "VIDRA_SHARD_UNLABELLED", value: String(opts.unlabelled) },
    ];
  }

  // The Services in front of the watcher (metrics, Infrahub webhooks), pointed at this shard.
  const services = docs
    .filter(d => {
      const selector = (d.spec as { selector?: Record<string, string> } | undefined)?.selector;
      return d.kind === "Service" && selector?.app === baseApp;
    })
    .map(s => {
      const copy = clone(s);
      copy.metadata = { ...copy.metadata, name: `${s.metadata?.name}-${opts.name}` };
      const sspec = copy.spec as { selector: Record<string, string> };
      sspec.selector = { ...sspec.selector, app };
      return copy;
    });
  return [deployment, ...services];
}

function parseArgs(argv: string[]): ShardOptions {
  const opts: ShardOptions = { name: "", keys: [], unlabelled: false, replicas: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--name") opts.name = value();
    else if (a === "--keys")
      opts.keys = value()
        .split(",")
        .map(k => k.trim())
        .filter(Boolean);
    else if (a === "--unlabelled") opts.unlabelled = true;
    else if (a === "--replicas") opts.replicas = Number(value());
    else throw new Error(`unknown argument ${a}`);
  }
  if (!opts.name) opts.name = (opts.keys.join("-") || "unlabelled").toLowerCase();
  return opts;
}

if (require.main === module) {
  try {
    const root = resolve(__dirname, "..");
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      pepr: { uuid: string };
    };
    const manifest = join(root, "dist", `pepr-module-${pkg.pepr.uuid}.yaml`);
    let text: string;
    try {
      text = readFileSync(manifest, "utf8");
    } catch {
      throw new Error(`${manifest} is missing: run \`npm run build\` first`);
    }
    const docs = (loadAll(text) as Doc[]).filter(Boolean);
    const out = shardObjects(docs, parseArgs(process.argv.slice(2)));
    process.stdout.write(out.map(d => `---\n${dump(d, { lineWidth: 120 })}`).join(""));
  } catch (err) {
    console.error(`shard:manifests: ${(err as Error).message}`);
    console.error(
      "usage: npm run shard:manifests -- --keys KEY[,KEY] [--name NAME] [--unlabelled] [--replicas N]",
    );
    process.exitCode = 1;
  }
}
