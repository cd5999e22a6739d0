/**
 * The admission pods down, the watcher up: the built webhook fails closed for people, but exempts the
 * module's own ServiceAccount (matchConditions, added by hack/post-build.ts), so the operator still
 * applies a new artifact version to its VidraResource and finishes deletions (finalizer removal),
 * while the CRD schema keeps checking what it writes. Without the exemption the operator's writes
 * were refused as well ("failed calling webhook") and deletions hung on the finalizer.
 *
 * As in watcher-service-account.test.ts, the watcher runs as a local process with a token of the
 * module's ServiceAccount (no kubelet here); no admission pod ever runs, so the webhook's Service has
 * no endpoints, as during an outage of the admission pods. Needs `npm run build` first.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { httpsGet, waitFor } from "../../hack/control-plane/https-probe";
import { freePort } from "../../hack/control-plane/ports";
import { ManagedProcess } from "../../hack/control-plane/processes";
import { startInfrahubSimulator } from "../../hack/infrahub-sim";
import type { InfrahubSimulator } from "../../hack/infrahub-sim/types";
import { KubeClient } from "../../capabilities/lib/kube/client";
import { eventually, startTestCluster, type TestCluster } from "../support/cluster";
import { syncJson } from "../support/fixtures";
import {
  builtDocs,
  kubectl,
  kubectlResult,
  MODULE_JS,
  MODULE_NAME,
  MODULE_NS,
  MODULE_USER,
  MODULE_YAML,
  PEPR_STORE_CRD,
  ROOT,
  serviceAccountToken,
  tokenConnection,
  writeTokenKubeconfig,
  type Doc,
} from "./support";
import { createInfrahubSecret } from "../support/operator-client";

const DEFINITION = { name: "Down_Definition", artifactName: "Down_Manifest" };
const configMap = (value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: admission-down, namespace: default }\ndata: { value: "${value}" }\n`;

let cluster: TestCluster;
let sim: InfrahubSimulator;
let watcher: ManagedProcess | undefined;
let dir: string;
let kc: string;
let webhook: Doc;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const get = (args: string[]): Json | undefined => {
  const r = kubectlResult(kc, [...args, "-o", "json"]);
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
};
const valueOf = () => get(["get", "configmap", "-n", "default", "admission-down"])?.data?.value;

beforeAll(async () => {
  const docs = builtDocs();
  webhook = docs.find(d => d.kind === "ValidatingWebhookConfiguration")!;
  dir = await mkdtemp(join(tmpdir(), "vidra-deploy-admission-down-"));
  cluster = await startTestCluster({ name: "deploy-admission-down" });
  kc = cluster.cp.kubeconfigPath;
  sim = await startInfrahubSimulator({
    seed: {
      users: [{ username: "admin", password: "infrahub" }],
      definitions: [DEFINITION],
      artifacts: [
        { definition: DEFINITION.name, target: { label: "down" }, content: configMap("v1") },
      ],
    },
  });
  // Everything but the webhook first, so the sync can be created; the webhook comes in below.
  kubectl(kc, ["apply", "--server-side", "-f", MODULE_YAML]);
  kubectl(kc, ["delete", "validatingwebhookconfiguration", MODULE_NAME]);
  const token = await serviceAccountToken(cluster.kube, MODULE_NS, MODULE_NAME);
  const sa = new KubeClient(tokenConnection(cluster, token));
  await sa.apply(
    `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${PEPR_STORE_CRD.metadata.name}`,
    PEPR_STORE_CRD,
    { fieldManager: "pepr", force: true },
  );
  sa.close();

  const cert = join(dir, "tls.crt");
  const key = join(dir, "tls.key");
  await writeFile(cert, cluster.cp.details.servingCertPem);
  await writeFile(key, cluster.cp.details.servingKeyPem, { mode: 0o600 });
  const port = await freePort();
  const { PEPR_MODE: _mode, ...env } = process.env;
  watcher = ManagedProcess.start({
    name: "pepr-watcher",
    command: process.execPath,
    args: [MODULE_JS],
    logFile: join(dir, "watcher.log"),
    cwd: ROOT,
    env: {
      ...env,
      KUBECONFIG: writeTokenKubeconfig(cluster, token, join(dir, "sa.kubeconfig")),
      PEPR_WATCH_MODE: "true",
      SSL_KEY_PATH: key,
      SSL_CERT_PATH: cert,
      VIDRA_PEPR_PORT: String(port),
      LOG_LEVEL: "info",
    },
  });
  const w = watcher;
  await waitFor(
    async () => {
      if (!w.running) throw new Error("exited");
      const res = await httpsGet(`https://127.0.0.1:${port}/healthz`, {
        ca: cluster.cp.details.caPem,
      });
      return res.status === 200;
    },
    {
      timeoutMs: 60_000,
      describe: async () => `the watcher did not become healthy:\n${await w.logTail(40)}`,
    },
  );
  await eventually(
    async () =>
      (await w.logTail(200)).includes("CustomResourceDefinitions installed and Established"),
    { what: "the CRDs installed", timeoutMs: 90_000 },
  );
  createInfrahubSecret({ kubectl: args => kubectl(kc, args) });
  kubectl(
    kc,
    ["apply", "-f", "-"],
    syncJson("down", {
      source: {
        infrahubAPIURL: sim.url,
        artefactName: DEFINITION.artifactName,
        credentialsSecretRef: { name: "infrahub", namespace: "default" },
      },
      pollInterval: "2s",
    }),
  );
  await eventually(async () => valueOf() === "v1", {
    what: "the first version applied",
    timeoutMs: 90_000,
  });
}, 300_000);

afterAll(async () => {
  await watcher?.stop(5000);
  await sim?.stop();
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("with the admission pods down, people are refused but the operator applies and deletes", async () => {
  // The built webhook, with nothing behind its Service: admission is down and fails closed.
  expect(webhook.webhooks).toEqual([
    expect.objectContaining({
      failurePolicy: "Fail",
      matchConditions: [
        {
          name: "not-the-operator-itself",
          expression: `request.userInfo.username != '${MODULE_USER}'`,
        },
      ],
    }),
  ]);
  kubectl(kc, ["apply", "--server-side", "-f", "-"], JSON.stringify(webhook));
  const refused = await eventually(
    async () => {
      const r = kubectlResult(kc, [
        "label",
        "infrahubsync",
        "down",
        `touched=${Date.now()}`,
        "--overwrite",
      ]);
      return r.code !== 0 && r.stderr;
    },
    { what: "the API server to call the (unreachable) webhook", timeoutMs: 60_000 },
  );
  expect(refused).toContain('failed calling webhook "pepr-vidra-pepr.pepr.dev"');

  // A new artifact version: the operator writes the VidraResource (CREATE/UPDATE, intercepted by the
  // webhook's rules) as its own ServiceAccount, and applies the object.
  const artifact = sim.listArtifacts("main")[0];
  sim.setArtifactContent("main", artifact.id, configMap("v2"));
  await eventually(async () => valueOf() === "v2", {
    what: "the new version applied with admission down",
    timeoutMs: 180_000,
  });

  // The exemption skips the webhook, not validation: the CRD's rules still refuse a bad spec from the
  // operator's identity.
  const asOperator = kubectlResult(kc, [
    "--as",
    MODULE_USER,
    "patch",
    "vidraresource",
    artifact.id,
    "--type=merge",
    "-p",
    '{"spec":{"reapplyInterval":"-1m"}}',
  ]);
  expect(asOperator.code).not.toBe(0);
  expect(asOperator.stderr).toContain(
    'spec.reapplyInterval: Invalid value: "-1m": "-1m" is negative',
  );

  // Deleting the sync: garbage collection deletes its VidraResource, whose finalizer the operator
  // removes (an UPDATE) after pruning the ConfigMap.
  kubectl(kc, ["delete", "infrahubsync", "down", "--wait=false"]);
  await eventually(async () => get(["get", "vidraresource", artifact.id]) === undefined, {
    what: "the VidraResource deleted through its finalizer with admission down",
    timeoutMs: 180_000,
  });
  expect(valueOf()).toBeUndefined();
  const log = await watcher!.logTail(5000);
  expect(log).not.toContain("failed calling webhook");
});
