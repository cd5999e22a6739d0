/**
 * `npm start` end to end, as a child process: the local demo comes up Ready and shows what it
 * applied, `npm run demo:edit` reaches the cluster, Ctrl-C leaves nothing behind; the remote mode
 * (KUBECONFIG + INFRAHUB_URL) starts no cluster and no simulator, registers no webhooks, applies
 * nothing without DEMO_APPLY_SAMPLE=1 and never prints a credential. One demo runs at a time.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startInfrahubSimulator, type InfrahubSimulator } from "../../hack/infrahub-sim";
import type { DemoState } from "../../hack/demo/demo-state";
import { eventually, startTestCluster, type TestCluster } from "../support/cluster";
import {
  alive,
  demoEdit,
  demoEnv,
  killDemo,
  processesMentioning,
  readState,
  startDemo,
  startedBy,
  type DemoRun,
} from "./demo-process";

let work: string;
let run: DemoRun | undefined;
let state: DemoState | undefined;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "demo-test-"));
});

afterEach(async () => {
  if (run && run.child.exitCode === null && run.child.signalCode === null) {
    killDemo(run, state);
    await run.exited;
  }
  run = undefined;
  state = undefined;
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

function kubectl(kubeconfig: string, args: string[]): string {
  return execFileSync("kubectl", ["--kubeconfig", kubeconfig, ...args], {
    encoding: "utf8",
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/** Everything the demo started is gone: its processes, anything naming its temp dirs, the dirs, the state file. */
function expectNothingLeft(
  s: DemoState,
  started: Array<{ pid: number; name: string }>,
  stateFile: string,
): void {
  expect(started.filter(p => alive(p.pid))).toEqual([]);
  expect(alive(s.pid)).toBe(false);
  expect(processesMentioning(s.tempDirs)).toEqual([]);
  expect(s.tempDirs.filter(d => existsSync(d))).toEqual([]);
  expect(existsSync(stateFile)).toBe(false);
}

test("npm start: the local demo comes up Ready, an edit propagates, Ctrl-C leaves nothing running", async () => {
  const stateFile = join(work, "local", "demo.json");
  const env = demoEnv({ DEMO_STATE_FILE: stateFile });
  run = startDemo(env);
  await run.waitFor(
    /READY: InfrahubSync sync-test-webserver is Ready \(3 artifacts, 12 objects applied and healthy\)/,
  );
  state = readState(stateFile);
  const out = run.output();
  expect(out).toMatch(
    /InfrahubSync sync-test-webserver {2}main \/ Webserver_Manifest {2}every 1m {2}state Succeeded/,
  );
  // Push by default: the simulator posts Infrahub's webhooks to the operator's receiver.
  expect(out).toMatch(
    /push {6}Infrahub webhooks → https:\/\/127\.0\.0\.1:\d+\/webhooks\/infrahub\/infrahub-sim/,
  );
  expect(out).toMatch(/Ready +True +Synced/);
  expect(out).toMatch(
    /web-01 +[0-9a-f]{8} +1d3e5000-0000-4000-8000-000000000001 +Succeeded +True +4/,
  );
  expect(out).toMatch(
    /\n {2}namespace\/ns-web-01 +STATUS Active[^\n]*\n +deployment\.apps\/web-01 +READY 2\/2/,
  );
  expect(out).toMatch(/service\/web-02 +TYPE ClusterIP/);
  expect(out).toMatch(
    /ingress\.networking\.k8s\.io\/web-03 +CLASS <none> +HOSTS web-03\.example\.com/,
  );
  expect(out).toMatch(/Normal +Synced +InfrahubSync\/sync-test-webserver/);
  expect(out).toContain("npm run demo:edit -- web-01 replicas=5");
  expect(out).toContain(
    `curl -s -X PUT --data-binary @web-01.yaml ${state.simulatorUrl}/__sim/artifacts/web-01/content`,
  );

  const started = startedBy(state.pid);
  expect(started.map(p => p.name).sort()).toEqual([
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kwok",
    "pepr-module",
  ]);
  expect(
    JSON.parse(
      kubectl(state.kubeconfig, ["get", "deployment", "-n", "ns-web-01", "web-01", "-o", "json"]),
    ).spec.replicas,
  ).toBe(2);
  // Admission is enforced in the local mode: a sync the webhook rejects never reaches the API.
  const denied = spawnSync("kubectl", ["--kubeconfig", state.kubeconfig, "apply", "-f", "-"], {
    input: JSON.stringify({
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
    }),
    encoding: "utf8",
  });
  expect(denied.stderr).toMatch(/denied the request/);

  const edit = demoEdit(env, ["web-01", "replicas=5"]);
  expect(edit).toMatchObject({ code: 0, stderr: "" });
  expect(edit.stdout).toMatch(
    /^web-01 on main: replicas 2 → 5\nartifact 1d3e5000-0000-4000-8000-000000000001: checksum [0-9a-f]{8} → [0-9a-f]{8}\nInfrahub sends a webhook/,
  );
  await eventually(
    async () =>
      JSON.parse(
        kubectl(state!.kubeconfig, [
          "get",
          "deployment",
          "-n",
          "ns-web-01",
          "web-01",
          "-o",
          "json",
        ]),
      ).spec.replicas === 5,
    {
      timeoutMs: 90_000,
      what: "web-01 scaled to 5 in the cluster",
    },
  );
  await run.waitFor(/deployment\.apps\/web-01 +READY 5\/5/, 60_000);
  // With a one-minute poll, the screen says the change came by push.
  await run.waitFor(
    /last change \d+s ago by push \(webhook [0-9a-f]{8}, fetched \d+ ms after it arrived\)/,
    30_000,
  );
  // The leak check below can see the demo's processes while they run.
  expect(processesMentioning(state.tempDirs).length).toBeGreaterThanOrEqual(4);

  process.kill(-run.child.pid!, "SIGINT"); // what Ctrl-C in a terminal does: the whole foreground group
  await run.exited;
  expect(run.output()).toMatch(
    /SIGINT: stopping[\s\S]*stopping the operator[\s\S]*stopping the local control plane[\s\S]*stopped; nothing is left running/,
  );
  expectNothingLeft(state, started, stateFile);
}, 420_000);

test("a second Ctrl-C while stopping kills what is left at once, and still leaves nothing behind", async () => {
  const stateFile = join(work, "forced", "demo.json");
  run = startDemo(demoEnv({ DEMO_STATE_FILE: stateFile }));
  await run.waitFor(/READY: InfrahubSync sync-test-webserver is Ready/);
  state = readState(stateFile);
  const started = startedBy(state.pid);
  expect(started).toHaveLength(6);
  // The second signal goes the moment the demo says it is stopping (the polite stop may take
  // less than waitFor's polling interval), straight to the demo: the launcher passes on one
  // signal per second (tsx relays duplicates).
  const demoPid = state.pid;
  run.onPrinted(/SIGINT: stopping/, () => process.kill(demoPid, "SIGINT"));
  process.kill(-run.child.pid!, "SIGINT");
  await run.waitFor(/SIGINT: stopping/, 30_000);
  await run.exited;
  expect(run.output()).toContain("SIGINT again: killing what is left and exiting");
  expect(run.output()).not.toContain("stopped; nothing is left running");
  // SIGKILLed processes are reaped by the kernel a moment after the exit.
  await eventually(async () => started.every(p => !alive(p.pid)), {
    timeoutMs: 10_000,
    what: "the demo's processes to be gone",
  });
  expectNothingLeft(state, started, stateFile);
}, 420_000);

test("npm start | tee demo.log, then Ctrl-C: tee goes first, and the demo still cleans up everything", async () => {
  const stateFile = join(work, "piped", "demo.json");
  const log = join(work, "piped.log");
  // A terminal's Ctrl-C reaches the whole pipeline: tee exits at once and the demo's stdout is a
  // closed pipe by the time it reports what it is stopping.
  run = startDemo(demoEnv({ DEMO_STATE_FILE: stateFile }), [], {
    shell: `npm start | tee ${log}`,
  });
  await eventually(
    async () => existsSync(log) && /READY: InfrahubSync/.test(readFileSync(log, "utf8")),
    { timeoutMs: 300_000, intervalMs: 500, what: "READY in the piped log" },
  );
  state = readState(stateFile);
  const started = startedBy(state.pid);
  expect(started).toHaveLength(6);
  process.kill(-run.child.pid!, "SIGINT");
  await run.exited;
  await eventually(async () => !alive(state!.pid), {
    timeoutMs: 120_000,
    what: "the demo process to finish stopping",
  });
  await eventually(async () => started.every(p => !alive(p.pid)), {
    timeoutMs: 10_000,
    what: "the demo's processes to be gone",
  });
  expectNothingLeft(state, started, stateFile);
}, 420_000);

describe("remote mode (KUBECONFIG + INFRAHUB_URL)", () => {
  let cluster: TestCluster;
  let sim: InfrahubSimulator;
  const password = "pw-9c1f7e-never-printed";
  const token = "tok-55aa01-never-printed";

  beforeAll(async () => {
    // Like a real cluster, it runs pods: the sample sync waits for its Deployments.
    cluster = await startTestCluster({ name: "demo-remote", workloads: true });
    sim = await startInfrahubSimulator({ seed: join(__dirname, "../../hack/demo/seed.yaml") });
    sim.addUser("ops", password);
    sim.addApiToken(token);
  }, 180_000);

  afterAll(async () => {
    await sim?.stop();
    await cluster?.stop();
  });

  const remoteEnv = (stateFile: string, extra: Record<string, string>): NodeJS.ProcessEnv =>
    demoEnv({
      DEMO_STATE_FILE: stateFile,
      KUBECONFIG: cluster.cp.kubeconfigPath,
      INFRAHUB_URL: sim.url,
      ...extra,
    });

  test("runs only the operator, applies nothing, prints the sample without the password; SIGTERM stops it", async () => {
    const stateFile = join(work, "remote", "demo.json");
    const env = remoteEnv(stateFile, { INFRAHUB_USERNAME: "ops", INFRAHUB_PASSWORD: password });
    run = startDemo(env);
    await run.waitFor(/admission NOT enforced in this mode/);
    state = readState(stateFile);
    expect(state).toMatchObject({
      mode: "remote",
      server: cluster.cp.server,
      kubeconfig: cluster.cp.kubeconfigPath,
    });
    expect(state.simulatorUrl).toBeUndefined();
    expect(startedBy(state.pid).map(p => p.name)).toEqual(["pepr-module"]);
    const kc = cluster.cp.kubeconfigPath;
    expect(kubectl(kc, ["get", "infrahubsyncs", "-o", "name"])).toBe("");
    expect(kubectl(kc, ["get", "secrets", "-A", "-l", "infrahub-api-url", "-o", "name"])).toBe("");
    expect(
      kubectl(kc, [
        "get",
        "validatingwebhookconfigurations,mutatingwebhookconfigurations",
        "-o",
        "name",
      ]),
    ).toBe("");
    expect(run.output()).toContain(
      "the sample InfrahubSync is not applied to your cluster without DEMO_APPLY_SAMPLE=1",
    );

    const edit = demoEdit(env, ["web-01", "replicas=5"]);
    expect(edit.code).toBe(1);
    expect(edit.stderr).toMatch(
      /uses your own Infrahub \(remote mode\): change the artifact there/,
    );

    // The printed commands work as printed, reading the password from the environment.
    const commands = /(kubectl --kubeconfig \S+ create secret[\s\S]*?\nEOF)\n/.exec(
      run.output(),
    )?.[1];
    expect(commands).toContain(`--from-literal=password="$INFRAHUB_PASSWORD"`);
    execFileSync("bash", ["-c", commands!], {
      env: { ...process.env, INFRAHUB_USERNAME: "ops", INFRAHUB_PASSWORD: password },
      stdio: "pipe",
    });
    await run.waitFor(
      /READY: InfrahubSync sync-test-webserver is Ready \(3 artifacts, 12 objects applied and healthy\)/,
      120_000,
    );
    expect(
      kubectl(kc, [
        "get",
        "deployment",
        "-n",
        "ns-web-02",
        "web-02",
        "-o",
        "jsonpath={.spec.replicas}",
      ]),
    ).toBe("1");

    const started = startedBy(state.pid);
    process.kill(state.pid, "SIGTERM");
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.output()).toMatch(
      /SIGTERM: stopping[\s\S]*to apply the sample InfrahubSync yourself:\n[\s\S]*stopped; nothing is left running/,
    );
    expect(run.output()).not.toContain(password);
    expectNothingLeft(state, started, stateFile);
  }, 420_000);

  test("DEMO_APPLY_SAMPLE=1 applies the sample with a token Secret; --ci exits 0 once Ready", async () => {
    const stateFile = join(work, "remote-apply", "demo.json");
    run = startDemo(
      remoteEnv(stateFile, {
        INFRAHUB_TOKEN: token,
        INFRAHUB_BRANCH: "feature-scale",
        DEMO_APPLY_SAMPLE: "1",
      }),
      ["start", "--", "--ci"],
    );
    await run.waitFor(/operator running on/);
    state = readState(stateFile);
    const started = startedBy(state.pid);
    expect(started.map(p => p.name)).toEqual(["pepr-module"]);
    expect(await run.exited).toEqual({ code: 0, signal: null });
    const out = run.output();
    expect(out).toMatch(
      /READY: InfrahubSync sync-test-webserver is Ready \(4 artifacts, 16 objects applied and healthy\)/,
    );
    expect(out).toContain("the sample sync is Ready: stopping (--ci / DEMO_EXIT_AFTER_READY)");
    expect(out).not.toContain(token);
    const kc = cluster.cp.kubeconfigPath;
    expect(
      kubectl(kc, [
        "get",
        "deployment",
        "-n",
        "ns-web-04",
        "web-04",
        "-o",
        "jsonpath={.spec.replicas}",
      ]),
    ).toBe("1");
    expect(
      kubectl(kc, [
        "get",
        "deployment",
        "-n",
        "ns-web-02",
        "web-02",
        "-o",
        "jsonpath={.spec.replicas}",
      ]),
    ).toBe("4");
    const secret = JSON.parse(
      kubectl(kc, ["get", "secret", "-n", "default", "infrahub-credentials", "-o", "json"]),
    );
    expect(Buffer.from(secret.data.token, "base64").toString()).toBe(token);
    expectNothingLeft(state, started, stateFile);
  }, 420_000);
});
