/**
 * What `npm start` runs, read from the environment: the local demo (a local control plane, the
 * Infrahub simulator, a sample sync) unless both KUBECONFIG and INFRAHUB_URL are given, in which
 * case the operator runs against those. Credentials are taken out of the environment here, so the
 * processes the demo starts do not inherit them.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { httpUrlProblem } from "../../capabilities/lib/admission/url";
import { DemoError } from "./demo-error";

export const repoRoot = resolve(__dirname, "..", "..");

/** How the operator authenticates to Infrahub; the values never leave memory except into a Secret. */
export type InfrahubAuth =
  | { kind: "password"; username: string; password: string }
  | { kind: "token"; token: string }
  | { kind: "anonymous" };

export interface InfrahubSource {
  url: string;
  branch: string;
  artifact: string;
  auth: InfrahubAuth;
}

interface Common {
  /** Where the running demo says how to reach it (demo:edit reads it). */
  stateFile: string;
  /** Exit 0 once the sample sync is Ready (CI, tests); exit 1 if it is not within readyTimeoutMs. */
  exitAfterReady: boolean;
  readyTimeoutMs: number;
  /** The sample sync's pollInterval. */
  pollInterval: string;
  /**
   * Push sync: the simulator sends Infrahub's webhooks to the operator (local mode; DEMO_PUSH=0
   * turns it off). With it the sync polls every minute, as Vidra does; without it every 5 s.
   */
  push: boolean;
  /** Use dist/ even when a source is newer (DEMO_SKIP_BUILD=1); a missing dist/ is still built. */
  skipBuild: boolean;
  /** Screen refresh period. */
  refreshMs: number;
  /** Things worth telling the person about how their environment was read. */
  notes: string[];
}

export type DemoConfig =
  | (Common & { mode: "local" })
  | (Common & {
      mode: "remote";
      kubeconfig: string;
      infrahub: InfrahubSource;
      applySample: boolean;
    });

const SECRET_VARS = ["INFRAHUB_PASSWORD", "INFRAHUB_TOKEN"];

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new DemoError(`${name} must be a positive number of seconds, not "${raw}"`);
  return n;
}

function authFrom(env: NodeJS.ProcessEnv, notes: string[]): InfrahubAuth {
  const token = env.INFRAHUB_TOKEN?.trim();
  const username = env.INFRAHUB_USERNAME?.trim();
  const password = env.INFRAHUB_PASSWORD?.trim();
  if (token) {
    if (username || password)
      notes.push(
        "INFRAHUB_TOKEN is set: it is used, INFRAHUB_USERNAME/INFRAHUB_PASSWORD are ignored",
      );
    return { kind: "token", token };
  }
  if (username && password) return { kind: "password", username, password };
  if (username || password) {
    throw new DemoError(
      "set both INFRAHUB_USERNAME and INFRAHUB_PASSWORD (or INFRAHUB_TOKEN alone, or none for anonymous access)",
    );
  }
  return { kind: "anonymous" };
}

/** The first file of a KUBECONFIG list, as kubectl reads it; the runner passes one file on. */
function kubeconfigFile(value: string, notes: string[]): string {
  const files = value.split(":").filter(Boolean);
  const found = files.find(f => existsSync(f));
  if (!found)
    throw new DemoError(`KUBECONFIG names no file that exists (${files.join(", ") || "empty"})`);
  if (files.length > 1) notes.push(`KUBECONFIG lists ${files.length} files: using ${found}`);
  return found;
}

/**
 * Reads the demo's configuration. `argv` may hold `--ci` (same as DEMO_EXIT_AFTER_READY=1).
 * Removes INFRAHUB_PASSWORD and INFRAHUB_TOKEN from `env` once read.
 */
export function demoConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = []): DemoConfig {
  const unknown = argv.filter(a => a !== "--ci");
  if (unknown.length)
    throw new DemoError(
      `unknown argument ${unknown[0]}: npm start takes only --ci (see docs/demo.md)`,
    );
  const notes: string[] = [];
  if (env.DEMO_PUSH !== undefined && !["0", "1"].includes(env.DEMO_PUSH))
    throw new DemoError(
      `DEMO_PUSH must be 1 (webhooks, the default) or 0 (polling only), not "${env.DEMO_PUSH}"`,
    );
  const push = env.DEMO_PUSH !== "0" && !env.INFRAHUB_URL?.trim();
  const common: Common = {
    stateFile: resolve(env.DEMO_STATE_FILE || join(repoRoot, ".cluster", "demo.json")),
    exitAfterReady: argv.includes("--ci") || env.DEMO_EXIT_AFTER_READY === "1",
    readyTimeoutMs: positiveNumber(env, "DEMO_READY_TIMEOUT", 300) * 1000,
    pollInterval: env.DEMO_POLL_INTERVAL || (push ? "1m" : "5s"),
    push,
    refreshMs: positiveNumber(env, "DEMO_REFRESH", 2) * 1000,
    skipBuild: env.DEMO_SKIP_BUILD === "1",
    notes,
  };
  if (!/^\d+(ms|s|m|h)$/.test(common.pollInterval)) {
    throw new DemoError(
      `DEMO_POLL_INTERVAL must be a duration like "5s" or "1m", not "${common.pollInterval}"`,
    );
  }
  const url = env.INFRAHUB_URL?.trim();
  const kubeconfig = env.KUBECONFIG?.trim();
  try {
    if (url && !kubeconfig) {
      throw new DemoError(
        "INFRAHUB_URL is set but KUBECONFIG is not: set both to run the operator against your cluster and " +
          "Infrahub, or unset INFRAHUB_URL for the local demo",
      );
    }
    if (!url) {
      if (kubeconfig)
        notes.push(
          "KUBECONFIG is set but INFRAHUB_URL is not: running the local demo; your cluster is not touched",
        );
      return { ...common, mode: "local" };
    }
    const problem = httpUrlProblem(url, {
      example: "https://infrahub.example.com",
      credentialsGoTo: "INFRAHUB_USERNAME/INFRAHUB_PASSWORD or INFRAHUB_TOKEN",
    });
    if (problem) throw new DemoError(`INFRAHUB_URL ${problem}`);
    return {
      ...common,
      mode: "remote",
      kubeconfig: kubeconfigFile(kubeconfig!, notes),
      applySample: env.DEMO_APPLY_SAMPLE === "1",
      infrahub: {
        url: url.replace(/\/+$/, ""),
        branch: env.INFRAHUB_BRANCH?.trim() || "main",
        artifact: env.INFRAHUB_ARTIFACT?.trim() || "Webserver_Manifest",
        auth: authFrom(env, notes),
      },
    };
  } finally {
    for (const name of SECRET_VARS) delete env[name];
  }
}
