/**
 * The `vidra` CLI against the local control plane (pods run: KWOK), the module and the Infrahub
 * simulator: `get`, `diff` of a sync and of a local file (exit codes as kubectl diff, Secret values
 * masked, nothing written), and `reconcile` (sync now, wait for the result).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { dump } from "js-yaml";
import { run } from "../../capabilities/lib/cli/main";
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import { syncJson } from "../support/fixtures";
import { createInfrahubSecret, getJson, waitForCondition } from "../support/operator-client";

const DEF = {
  name: "App_Definition",
  artifactName: "App_Manifest",
  contentType: "application/yaml",
};
const ROOT = resolve(__dirname, "../..");
const SECRET_V1 = "s3cr3t-value-one";
const SECRET_V2 = "s3cr3t-value-two";
const b64 = (s: string) => Buffer.from(s).toString("base64");

const docs = (objects: object[]) => objects.map(d => `---\n${dump(d)}`).join("");

function app(
  ns: string,
  opts: { color: string; password: string; extra?: boolean; old?: boolean },
) {
  return docs([
    { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "settings", namespace: ns },
      data: { color: opts.color, size: "large" },
    },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "db", namespace: ns },
      stringData: { password: opts.password, user: "app" },
    },
    ...(opts.old
      ? [
          {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "old", namespace: ns },
            data: { a: "1" },
          },
        ]
      : []),
    ...(opts.extra
      ? [
          {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "extra", namespace: ns },
            data: { b: "2" },
          },
        ]
      : []),
  ]);
}

function deployment(ns: string, podAnnotations: Record<string, string> = {}) {
  const labels = { app: "web" };
  return docs([
    { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: ns },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels, annotations: podAnnotations },
          spec: { containers: [{ name: "web", image: "nginx:1.27" }] },
        },
      },
    },
  ]);
}

let env: OperatorEnv;
let work: string;
const ids: Record<string, string> = {};

beforeAll(async () => {
  env = await startOperatorEnv({
    name: "cli",
    workloads: true,
    sim: {
      seed: {
        users: [{ username: "admin", password: "infrahub" }],
        definitions: [DEF],
        artifacts: [
          {
            definition: DEF.name,
            target: { label: "app-a" },
            content: app("cli-a", { color: "blue", password: SECRET_V1, old: true }),
          },
          { definition: DEF.name, target: { label: "web-b" }, content: deployment("cli-b") },
        ],
      },
    },
  });
  for (const a of env.sim.listArtifacts("main")) ids[a.targetLabel!] = a.id;
  createInfrahubSecret(env);
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("apps", {
      source: {
        infrahubAPIURL: env.sim.url,
        artefactName: DEF.artifactName,
        credentialsSecretRef: { name: "infrahub", namespace: "default" },
      },
      pollInterval: "1h",
      wait: true,
      timeout: "2m",
    }),
  );
  await waitForCondition(env, "infrahubsync/apps", "Ready", "True", { timeoutMs: 120_000 });
  work = mkdtempSync(join(tmpdir(), "vidra-cli-"));
}, 300_000);

afterAll(async () => {
  await env?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The CLI in-process, against the test cluster. */
async function vidra(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(["--kubeconfig", env.cluster.cp.kubeconfigPath, ...args], {
    out: l => out.push(l),
    err: l => err.push(l),
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** The CLI as a person runs it: `npx vidra …` (package.json bin) or `npm run vidra -- …`. */
function vidraProcess(
  how: "npx" | "npm",
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const [cmd, pre] = how === "npx" ? ["npx", ["vidra"]] : ["npm", ["run", "-s", "vidra", "--"]];
  return new Promise(res =>
    execFile(
      cmd,
      [...pre, ...args],
      { cwd: ROOT, env: { ...process.env, KUBECONFIG: env.cluster.cp.kubeconfigPath } },
      (error, stdout, stderr) =>
        res({ code: error ? Number(error.code ?? 1) : 0, out: stdout, err: stderr }),
    ),
  );
}

const configMap = (ns: string, name: string) =>
  env.kubectlResult(["get", "configmap", "-n", ns, name, "-o", "json"]);

test("get: the syncs with readiness and health, then their artifacts", async () => {
  const r = await vidraProcess("npx", ["get"]);
  expect(r.code).toBe(0);
  const lines = r.out.split("\n");
  expect(lines[0]).toMatch(
    /^SYNC\s+READY\s+SUSPENDED\s+BRANCH\s+ARTIFACTS\s+HEALTH\s+LAST SYNC\s+MESSAGE$/,
  );
  expect(lines[1]).toMatch(
    /^apps\s+True\s+false\s+main\s+2\s+2\/2 healthy\s+\d+[smh]\s+2 artifact\(s\) from branch main applied and healthy$/,
  );
  expect(r.out).toMatch(/SYNC\s+TARGET\s+ARTIFACT\s+CHECKSUM\s+OBJECTS\s+READY\s+HEALTH\s+MESSAGE/);
  expect(r.out).toMatch(
    new RegExp(`apps\\s+app-a\\s+${ids["app-a"]}\\s+[0-9a-f]{8}\\s+4\\s+True\\s+Healthy\\s+`),
  );
  expect(r.out).toMatch(
    new RegExp(`apps\\s+web-b\\s+${ids["web-b"]}\\s+[0-9a-f]{8}\\s+2\\s+True\\s+Healthy\\s+`),
  );
  const syncs = await vidra("get", "syncs", "--sync", "apps");
  expect(syncs.out.split("\n")).toHaveLength(2);
  const missing = await vidra("get", "--sync", "nope");
  expect(missing).toMatchObject({ code: 2, err: "error: InfrahubSync nope not found" });
});

test("diff of a sync in step with Infrahub: exit 0, everything unchanged", async () => {
  const r = await vidra("diff", "apps");
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  expect(r.out).toContain(
    `VidraResource ${ids["app-a"]} (artifact ${ids["app-a"]}, target app-a) → this cluster`,
  );
  expect(r.out).toContain("  4 unchanged");
  expect(r.out.split("\n").pop()).toBe("0 to create, 0 to change, 0 to prune, 6 unchanged");
});

test("diff of a sync after Infrahub changed: a unified diff per object, created and pruned objects, Secret values masked, nothing written", async () => {
  env.sim.setArtifactContent(
    "main",
    ids["app-a"],
    app("cli-a", { color: "green", password: SECRET_V2, extra: true }),
  );
  const before = getJson(env, ["get", "configmap", "-n", "cli-a", "settings"]);
  const r = await vidraProcess("npm", ["diff", "apps"]);
  expect(r.code).toBe(1);
  const out = r.out;
  expect(out).toContain("  ~ ConfigMap/cli-a/settings configured");
  expect(out).toContain("  ~ Secret/cli-a/db configured");
  expect(out).toContain("  + ConfigMap/cli-a/extra created");
  expect(out).toContain("  - ConfigMap/cli-a/old pruned (deleted)");
  expect(out).toContain(
    ["--- live/v1.ConfigMap.cli-a.settings", "+++ merged/v1.ConfigMap.cli-a.settings"].join("\n"),
  );
  expect(out).toMatch(/\n- {2}color: blue\n\+ {2}color: green\n/);
  expect(out).toContain("--- /dev/null\n+++ merged/v1.ConfigMap.cli-a.extra");
  expect(out).toContain("--- live/v1.ConfigMap.cli-a.old\n+++ /dev/null");
  // Which Secret key changes shows; what it holds never does, in any encoding.
  expect(out).toMatch(/\n- {2}password: '\*\*\* \(before\)'\n\+ {2}password: '\*\*\* \(after\)'\n/);
  expect(out).toContain("   user: '***'");
  for (const secret of [SECRET_V1, SECRET_V2, b64(SECRET_V1), b64(SECRET_V2), b64("app")])
    expect(out + r.err).not.toContain(secret);
  expect(out.trim().split("\n").pop()).toBe("1 to create, 2 to change, 1 to prune, 3 unchanged");
  // A preview: the cluster and the VidraResource are as they were.
  const after = getJson(env, ["get", "configmap", "-n", "cli-a", "settings"]);
  expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  expect(configMap("cli-a", "extra").code).not.toBe(0);
  expect(configMap("cli-a", "old").code).toBe(0);
  expect(getJson(env, ["get", "vidraresource", ids["app-a"]]).spec.manifest).toContain("blue");
});

test("reconcile: syncs now and waits until the change is applied and healthy; then diff is clean", async () => {
  const r = await vidraProcess("npx", ["reconcile", "apps", "--timeout", "3m"]);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  expect(r.out).toMatch(
    /^► annotating InfrahubSync apps with infrahub\.operators\.com\/sync-now=\S+Z\n◎ waiting for the sync to fetch from Infrahub\n✔ fetched 2 artifact\(s\) from branch main/,
  );
  expect(r.out).toContain("◎ waiting for 2 VidraResource(s) to apply\n✔ applied");
  expect(r.out.trim().split("\n").pop()).toBe(
    "✔ InfrahubSync apps is Ready: 2 artifact(s) from branch main applied and healthy",
  );
  const sync = getJson(env, ["get", "infrahubsync", "apps"]);
  const request = sync.metadata.annotations["infrahub.operators.com/sync-now"];
  expect(sync.status.lastHandledSyncRequest).toBe(request);
  expect(getJson(env, ["get", "vidraresource", ids["web-b"]]).status.lastHandledSyncRequest).toBe(
    request,
  );
  expect(JSON.parse(configMap("cli-a", "settings").stdout).data.color).toBe("green");
  expect(configMap("cli-a", "old").code).not.toBe(0);
  const clean = await vidra("diff", "apps");
  expect(clean.code).toBe(0);
});

test("reconcile of a rollout that never becomes ready: exit 1 with the unhealthy object and why", async () => {
  env.sim.setArtifactContent(
    "main",
    ids["web-b"],
    deployment("cli-b", { "kwok.vidra-pepr.dev/waiting-reason": "ImagePullBackOff" }),
  );
  env.kubectl(["patch", "infrahubsync", "apps", "--type=merge", "-p", '{"spec":{"timeout":"5s"}}']);
  const r = await vidra("reconcile", "apps", "--timeout", "3m");
  expect(r.code).toBe(1);
  expect(r.out.trim().split("\n").pop()).toMatch(
    /^✗ InfrahubSync apps is not Ready \(HealthCheckFailed\): 1 of 2 VidraResource\(s\) unhealthy; \S+: 1 of 2 object\(s\) not healthy after 5s: Deployment\/cli-b\/web: .+$/,
  );
  const got = await vidra("get", "artifacts");
  expect(got.out).toMatch(
    new RegExp(
      `apps\\s+web-b\\s+${ids["web-b"]}\\s+[0-9a-f]{8}\\s+2\\s+False\\s+Unhealthy\\s+1 of 2 object`,
    ),
  );
});

test("diff -f: a local manifest as a new VidraResource on this cluster", async () => {
  // An object that exists and that nobody manages: refused unless adopted, as the engine does.
  env.kubectl(["create", "configmap", "handmade", "-n", "default", "--from-literal=k=v"]);
  const file = join(work, "team-a.yaml");
  writeFileSync(
    file,
    docs([
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "handmade" }, data: { k: "w" } },
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "fresh" }, data: { x: "1" } },
    ]),
  );
  const refused = await vidra("diff", "-f", file);
  expect(refused.code).toBe(2);
  expect(refused.out).toContain(
    "VidraResource team-a (file " + file + ", a new VidraResource) → this cluster",
  );
  expect(refused.out).toContain(
    "  ! ConfigMap/default/handmade cannot be applied: already exists and is not managed by vidra; set adoption: Adopt to take it over, or delete it",
  );
  expect(refused.out).toContain("  + ConfigMap/default/fresh created");

  const adopted = await vidra("diff", "-f", file, "--adoption", "Adopt");
  expect(adopted.code).toBe(1);
  expect(adopted.out).toContain(
    "  ~ ConfigMap/default/handmade configured: taken over: it exists and nobody manages it (adoption: Adopt)",
  );
  expect(adopted.out).toMatch(/\n- {2}k: v\n\+ {2}k: w\n/);
  expect(adopted.out).toContain("+    managed-by: vidra");
  expect(JSON.parse(configMap("default", "handmade").stdout).data.k).toBe("v");
  expect(configMap("default", "fresh").code).not.toBe(0);
});

test("diff -f as an existing VidraResource: its destination, inventory and prunes", async () => {
  const vr = getJson(env, ["get", "vidraresource", ids["app-a"]]);
  const file = join(work, "app-a.yaml");
  writeFileSync(file, vr.spec.manifest);
  const same = await vidra("diff", "-f", file, "--as", ids["app-a"]);
  expect(same.code).toBe(0);
  writeFileSync(file, app("cli-a", { color: "green", password: SECRET_V2 }));
  const fewer = await vidra("diff", "-f", file, "--as", ids["app-a"]);
  expect(fewer.code).toBe(1);
  expect(fewer.out).toContain("  - ConfigMap/cli-a/extra pruned (deleted)");
  expect(fewer.out).not.toContain(SECRET_V2);
});

test("diff follows the operator's settings: a kind its fence denies cannot be applied", async () => {
  const file = join(work, "fenced.yaml");
  writeFileSync(
    file,
    docs([{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "fenced" }, data: { x: "1" } }]),
  );
  expect((await vidra("diff", "-f", file)).code).toBe(1);
  env.kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "vidra-settings", namespace: "pepr-system", labels: { app: "vidra" } },
      data: { deniedKinds: "ConfigMap" },
    }),
  );
  try {
    const r = await vidra("diff", "-f", file);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(
      / ! .*kind ConfigMap in group "" \(core\) is denied by the operator's fence/,
    );
    // Settings are read from the operator's namespace only.
    const elsewhere = await vidra("diff", "-f", file, "--operator-namespace", "default");
    expect(elsewhere.code).toBe(1);
  } finally {
    env.kubectl(["delete", "configmap", "-n", "pepr-system", "vidra-settings"]);
  }
});

test("errors: exit 2 with a clear message", async () => {
  expect(await vidra("diff", "nope")).toMatchObject({
    code: 2,
    err: "error: InfrahubSync nope not found",
  });
  expect(await vidra("diff")).toMatchObject({
    code: 2,
    err: "error: give an InfrahubSync name or -f <manifest file>, not both",
  });
  const bad = join(work, "bad.yaml");
  writeFileSync(bad, "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n");
  const r = await vidra("diff", "-f", bad);
  expect(r.code).toBe(2);
  expect(r.out).toMatch(/ ! .*name/);
  const crd = join(work, "widget.yaml");
  writeFileSync(crd, "apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w }\n");
  const noKind = await vidra("diff", "-f", crd);
  expect(noKind.code).toBe(2);
  expect(noKind.out).toContain(
    "  ! Widget/default/w cannot be applied: the cluster serves no kind Widget in example.com/v1",
  );
  const unknown = await vidraProcess("npx", ["frobnicate"]);
  expect(unknown.code).toBe(2);
  expect(unknown.err).toContain("error: unknown command frobnicate");
});
