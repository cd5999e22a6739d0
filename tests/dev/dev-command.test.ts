/**
 * `npm run dev` as a person runs it: it starts a local cluster and the module in dev mode, the
 * module's webhook answers kubectl, and Ctrl-C stops everything it started.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { eventually } from "../support/cluster";

const root = resolve(__dirname, "..", "..");
const stateDir = mkdtempSync(join(tmpdir(), "dev-command-"));
let dev: ChildProcess | undefined;
let output = "";

afterAll(() => {
  if (dev && dev.exitCode === null && dev.signalCode === null) {
    try {
      process.kill(-dev.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }
  rmSync(stateDir, { recursive: true, force: true });
});

function kubectl(
  kubeconfig: string,
  args: string[],
  input?: string,
): { code: number; out: string } {
  try {
    return {
      code: 0,
      out: execFileSync("kubectl", ["--kubeconfig", kubeconfig, ...args], {
        input,
        encoding: "utf8",
        stdio: "pipe",
      }),
    };
  } catch (err) {
    const e = err as { status?: number; stderr?: string };
    return { code: e.status ?? 1, out: e.stderr ?? "" };
  }
}

test("npm run dev serves admission on a fresh local cluster and stops cleanly on Ctrl-C", async () => {
  // In a process group of its own, like a command in a terminal: Ctrl-C goes to the whole group.
  dev = spawn("npm", ["run", "dev"], {
    cwd: root,
    env: { ...process.env, VIDRA_PEPR_STATE_DIR: stateDir },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  dev.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  dev.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const kubeconfig = await eventually(async () => /export KUBECONFIG=(\S+)/.exec(output)?.[1], {
    timeoutMs: 240_000,
    what: "npm run dev to print the KUBECONFIG",
  }).catch(err => {
    throw new Error(`${err.message}\n${output.slice(-3000)}`);
  });
  // The push receiver's URL is printed, with the commands to point the simulator at it.
  expect(output).toMatch(
    /the Infrahub webhook receiver \(push sync\) is at https:\/\/127\.0\.0\.1:\d+\/webhooks\/infrahub\/<key Secret>/,
  );
  const bad = JSON.stringify({
    apiVersion: "infrahub.operators.com/v1alpha1",
    kind: "InfrahubSync",
    metadata: { name: "bad" },
    spec: {
      source: {
        infrahubAPIURL: "https://x.example",
        targetBranch: "main",
        artefactName: "A",
        // The CRD's rules check the format; only the webhook knows February has no 30th.
        targetDate: "2025-02-30T00:00:00Z",
      },
    },
  });
  const denied = await eventually(
    async () => {
      const r = kubectl(kubeconfig, ["apply", "-f", "-"], bad);
      return r.code !== 0 && r.out.includes("denied the request") ? r.out : undefined;
    },
    { what: "the webhook to deny" },
  );
  expect(denied).toContain("spec.source.targetDate");
  expect(denied).toContain("day 30 does not exist");
  // The module's log is followed on the terminal.
  await eventually(async () => /Validat/.test(output), {
    what: "the module's log on the terminal",
  });

  process.kill(-dev.pid!, "SIGINT");
  await eventually(async () => dev!.exitCode !== null || dev!.signalCode !== null, {
    timeoutMs: 60_000,
    what: "npm run dev to exit",
  });
  expect(kubectl(kubeconfig, ["get", "ns", "--request-timeout=3s"]).code).not.toBe(0);
});
