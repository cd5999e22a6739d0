import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoConfig, repoRoot } from "./demo-config";

let dir: string;
let kubeconfig: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "demo-config-test-"));
  kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, "apiVersion: v1\nkind: Config\n");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("with nothing set, runs the local demo on embedded defaults", () => {
  const c = demoConfig({});
  expect(c).toMatchObject({
    mode: "local",
    stateFile: join(repoRoot, ".cluster", "demo.json"),
    exitAfterReady: false,
    pollInterval: "1m",
    push: true,
    refreshMs: 2000,
    readyTimeoutMs: 300_000,
    skipBuild: false,
  });
  expect(c.notes).toEqual([]);
});

test("DEMO_PUSH=0 turns the webhooks off and polls every 5 s; the remote mode never pushes", () => {
  expect(demoConfig({ DEMO_PUSH: "0" })).toMatchObject({ push: false, pollInterval: "5s" });
  expect(
    demoConfig({ KUBECONFIG: kubeconfig, INFRAHUB_URL: "https://infrahub.example.com" }),
  ).toMatchObject({ mode: "remote", push: false, pollInterval: "5s" });
  expect(() => demoConfig({ DEMO_PUSH: "yes" })).toThrow(/DEMO_PUSH must be 1/);
});

test("a KUBECONFIG alone does not point the demo at that cluster", () => {
  const c = demoConfig({ KUBECONFIG: kubeconfig });
  expect(c.mode).toBe("local");
  expect(c.notes.join()).toMatch(
    /INFRAHUB_URL is not: running the local demo; your cluster is not touched/,
  );
});

test("INFRAHUB_URL without KUBECONFIG is refused with what to do", () => {
  expect(() => demoConfig({ INFRAHUB_URL: "https://infrahub.example.com" })).toThrow(
    /set both .* or unset INFRAHUB_URL for the local demo/,
  );
});

test("KUBECONFIG and INFRAHUB_URL select the remote mode, with Vidra's defaults for branch and artifact", () => {
  const c = demoConfig({
    KUBECONFIG: `${join(dir, "missing")}:${kubeconfig}`,
    INFRAHUB_URL: "https://infrahub.example.com/",
  });
  expect(c).toMatchObject({
    mode: "remote",
    kubeconfig,
    applySample: false,
    infrahub: {
      url: "https://infrahub.example.com",
      branch: "main",
      artifact: "Webserver_Manifest",
      auth: { kind: "anonymous" },
    },
  });
  expect(c.notes.join()).toMatch(/KUBECONFIG lists 2 files: using/);
});

test("remote mode reads the branch, artifact, credentials and DEMO_APPLY_SAMPLE", () => {
  const c = demoConfig({
    KUBECONFIG: kubeconfig,
    INFRAHUB_URL: "http://10.0.0.5:8000",
    INFRAHUB_BRANCH: "feature-x",
    INFRAHUB_ARTIFACT: "VM_Manifest",
    INFRAHUB_USERNAME: "ops",
    INFRAHUB_PASSWORD: "pw-123",
    DEMO_APPLY_SAMPLE: "1",
  });
  expect(c).toMatchObject({
    mode: "remote",
    applySample: true,
    infrahub: {
      branch: "feature-x",
      artifact: "VM_Manifest",
      auth: { kind: "password", username: "ops", password: "pw-123" },
    },
  });
});

test("an API token wins over a username and password, and says so", () => {
  const c = demoConfig({
    KUBECONFIG: kubeconfig,
    INFRAHUB_URL: "http://h:8000",
    INFRAHUB_TOKEN: "tok",
    INFRAHUB_USERNAME: "u",
    INFRAHUB_PASSWORD: "p",
  });
  expect(c.mode === "remote" && c.infrahub.auth).toEqual({ kind: "token", token: "tok" });
  expect(c.notes.join()).toMatch(/INFRAHUB_TOKEN is set: it is used/);
});

test("half a username/password pair is refused", () => {
  expect(() =>
    demoConfig({ KUBECONFIG: kubeconfig, INFRAHUB_URL: "http://h:8000", INFRAHUB_USERNAME: "u" }),
  ).toThrow(/set both INFRAHUB_USERNAME and INFRAHUB_PASSWORD/);
});

test("the password and token leave the environment once read, so the processes the demo starts do not inherit them", () => {
  const env: NodeJS.ProcessEnv = {
    KUBECONFIG: kubeconfig,
    INFRAHUB_URL: "http://h:8000",
    INFRAHUB_USERNAME: "u",
    INFRAHUB_PASSWORD: "p",
    INFRAHUB_TOKEN: "",
  };
  demoConfig(env);
  expect(env).not.toHaveProperty("INFRAHUB_PASSWORD");
  expect(env).not.toHaveProperty("INFRAHUB_TOKEN");
  const failing: NodeJS.ProcessEnv = { INFRAHUB_URL: "http://h:8000", INFRAHUB_PASSWORD: "p" };
  expect(() => demoConfig(failing)).toThrow();
  expect(failing).not.toHaveProperty("INFRAHUB_PASSWORD");
});

test("a bad INFRAHUB_URL is refused without repeating it (it may carry a password)", () => {
  let message = "";
  try {
    demoConfig({
      KUBECONFIG: kubeconfig,
      INFRAHUB_URL: "https://admin:s3cret-pw@infrahub.example.com",
    });
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message).toMatch(/^INFRAHUB_URL must not contain credentials/);
  expect(message).not.toContain("s3cret-pw");
});

test("a KUBECONFIG naming no existing file is refused", () => {
  expect(() =>
    demoConfig({ KUBECONFIG: join(dir, "nope"), INFRAHUB_URL: "http://h:8000" }),
  ).toThrow(/KUBECONFIG names no file that exists/);
});

test("--ci and DEMO_EXIT_AFTER_READY=1 exit once Ready; other switches are read too", () => {
  expect(demoConfig({}, ["--ci"]).exitAfterReady).toBe(true);
  const c = demoConfig({
    DEMO_EXIT_AFTER_READY: "1",
    DEMO_READY_TIMEOUT: "90",
    DEMO_POLL_INTERVAL: "2s",
    DEMO_REFRESH: "0.5",
    DEMO_SKIP_BUILD: "1",
    DEMO_STATE_FILE: "x/demo.json",
  });
  expect(c).toMatchObject({
    exitAfterReady: true,
    readyTimeoutMs: 90_000,
    pollInterval: "2s",
    refreshMs: 500,
    skipBuild: true,
  });
  expect(c.stateFile).toBe(join(process.cwd(), "x", "demo.json"));
});

test.each([
  [{ DEMO_POLL_INTERVAL: "soon" }, [], /DEMO_POLL_INTERVAL must be a duration like "5s"/],
  [{ DEMO_READY_TIMEOUT: "-3" }, [], /DEMO_READY_TIMEOUT must be a positive number of seconds/],
  [{}, ["--watch"], /unknown argument --watch: npm start takes only --ci/],
])("refuses %j %j", (env, argv, message) => {
  expect(() => demoConfig(env as NodeJS.ProcessEnv, argv as string[])).toThrow(message);
});
