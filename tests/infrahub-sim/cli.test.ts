import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { resolve } from "node:path";
import { KEY, http } from "./helpers";

const ROOT = resolve(__dirname, "../..");
const CLI = resolve(ROOT, "hack/infrahub-sim/cli.ts");
const SEED = resolve(ROOT, "hack/infrahub-sim/example-seed.yaml");

interface Run {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** Runs the CLI under `node --import tsx` (no wrapper process, so signals reach it directly). */
function runCli(args: string[]): Run {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env },
  });
  let out = "";
  let err = "";
  child.stdout.on("data", chunk => (out += String(chunk)));
  child.stderr.on("data", chunk => (err += String(chunk)));
  const exit = new Promise<number | null>(done => child.on("exit", code => done(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function waitForUrl(run: Run): Promise<string> {
  for (;;) {
    const match = /listening on (http:\/\/\S+)/.exec(run.stdout());
    if (match) return match[1];
    if (run.child.exitCode !== null) throw new Error(`CLI exited early: ${run.stderr()}`);
    await new Promise(r => setTimeout(r, 50));
  }
}

describe("infrahub-sim CLI", () => {
  const started: Run[] = [];
  afterAll(() => {
    for (const run of started) if (run.child.exitCode === null) run.child.kill("SIGKILL");
  });

  it.each(["SIGTERM", "SIGINT"] as const)(
    "serves the seed, prints the URLs and stops cleanly on %s",
    async signal => {
      const run = runCli(["--port", "0", "--host", "127.0.0.1", "--seed", SEED]);
      started.push(run);
      const url = await waitForUrl(run);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(run.stdout()).toContain(`Control API: ${url}/__sim/`);
      const info = await http(`${url}/api/info`, { headers: KEY });
      expect(info.json).toMatchObject({ version: "1.11.9-sim" });
      const artifact = await http(`${url}/api/artifact/18a1c0de-0000-4000-8000-000000000002`, {
        headers: KEY,
      });
      expect(artifact.text).toContain("name: web-02");
      const control = await http(`${url}/__sim/artifacts`);
      expect(control.status).toBe(200);
      run.child.kill(signal);
      expect(await run.exit).toBe(0);
      expect(run.stdout()).toContain(`Received ${signal}, stopping the Infrahub simulator`);
      await expect(fetch(`${url}/api/info`)).rejects.toThrow();
    },
  );

  it("exits 2 with the usage on bad arguments", async () => {
    const run = runCli(["--port", "not-a-port"]);
    started.push(run);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toContain("--port must be 0-65535");
    expect(run.stderr()).toContain("usage: infrahub-sim");
  });

  it("exits 1 naming the problem when the seed cannot be loaded", async () => {
    const run = runCli(["--port", "0", "--seed", resolve(ROOT, "no/such/seed.yaml")]);
    started.push(run);
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toMatch(/infrahub-sim: cannot read seed file .*no\/such\/seed\.yaml/);
  });
});
