/**
 * The built module run as the watcher pod runs it (PEPR_WATCH_MODE=true) under the ServiceAccount and
 * ClusterRole of the built manifests, on a cluster without the CRDs: it installs them at start-up,
 * Pepr's watches pick them up, and a webserver sync (Vidra's demo kinds, the committed preset) goes
 * through create, drift repair and delete without a single "forbidden" from the API server. A refused
 * CRD install is logged and retried until RBAC allows it.
 *
 * The module runs as a local process with a token of that ServiceAccount, because this control plane
 * has no kubelet to run its pod. Needs `npm run build` first.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startInfrahubSimulator } from "../../hack/infrahub-sim";
import type { InfrahubSimulator } from "../../hack/infrahub-sim/types";
import { httpsGet, waitFor } from "../../hack/control-plane/https-probe";
import { freePort } from "../../hack/control-plane/ports";
import { ManagedProcess } from "../../hack/control-plane/processes";
import { CRD_FIELD_MANAGER } from "../../capabilities/lib/crd-install";
import { KubeClient, type KubeObject } from "../../capabilities/lib/kube/client";
import { eventually, startTestCluster, type TestCluster } from "../support/cluster";
import { WEBSERVER_DEFINITION, syncJson, webserverManifest } from "../support/fixtures";
import {
  builtDocs,
  kubectl,
  kubectlResult,
  MODULE_JS,
  MODULE_NAME,
  MODULE_NS,
  MODULE_YAML,
  PEPR_STORE_CRD,
  ROOT,
  serviceAccountToken,
  tokenConnection,
  writeTokenKubeconfig,
} from "./support";
import { createInfrahubSecret } from "../support/operator-client";

const CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const OUR_CRDS = ["infrahubsyncs.infrahub.operators.com", "vidraresources.infrahub.operators.com"];

let cluster: TestCluster;
let sim: InfrahubSimulator;
let watcher: ManagedProcess | undefined;
let dir: string;
let kc: string;
let token: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const get = (args: string[]): Json | undefined => {
  const r = kubectlResult(kc, [...args, "-o", "json"]);
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
};
const ready = (resource: string) =>
  eventually(
    async () => {
      const o = get(["get", resource]);
      const c = (o?.status?.conditions ?? []).find((x: Json) => x.type === "Ready");
      return o?.status?.observedGeneration === o?.metadata.generation && c?.status === "True" && o;
    },
    { what: `${resource} Ready`, timeoutMs: 90_000 },
  );

beforeAll(async () => {
  builtDocs(); // fails early with "run npm run build" when dist/ is missing
  dir = await mkdtemp(join(tmpdir(), "vidra-deploy-watcher-"));
  cluster = await startTestCluster({ name: "deploy-watcher" });
  kc = cluster.cp.kubeconfigPath;
  sim = await startInfrahubSimulator({
    seed: {
      users: [{ username: "admin", password: "infrahub" }],
      definitions: [WEBSERVER_DEFINITION],
      artifacts: [
        {
          definition: WEBSERVER_DEFINITION.name,
          target: { label: "web-01" },
          content: webserverManifest("web-01"),
        },
      ],
    },
  });
  kubectl(kc, ["apply", "--server-side", "-f", MODULE_YAML]);
  // No admission pods run here (no kubelet), and the webhook's failurePolicy is Fail: without this the
  // API server would refuse every InfrahubSync. Admission is tested in tests/e2e/module-admission.
  kubectl(kc, ["delete", "validatingwebhookconfiguration", MODULE_NAME]);
  token = await serviceAccountToken(cluster.kube, MODULE_NS, MODULE_NAME);
  // What Pepr's controller does, as the same ServiceAccount, before it forks the module.
  const sa = new KubeClient(tokenConnection(cluster, token));
  await sa.apply(`${CRD_PATH}/${PEPR_STORE_CRD.metadata.name}`, PEPR_STORE_CRD, {
    fieldManager: "pepr",
    force: true,
  });
  sa.close();
}, 180_000);

afterAll(async () => {
  await watcher?.stop(5000);
  await sim?.stop();
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("the watcher installs the CRDs at start-up with its ServiceAccount, after retrying a refusal", async () => {
  for (const name of OUR_CRDS)
    expect(await cluster.kube.getOptional(`${CRD_PATH}/${name}`)).toBeUndefined();
  // Start without the CRD rule (as if the ClusterRole lagged behind), to see the failure and the retry.
  const role = get(["get", "clusterrole", MODULE_NAME]);
  const crdRule = role.rules.findIndex((r: Json) => r.resources[0] === "customresourcedefinitions");
  kubectl(kc, [
    "patch",
    "clusterrole",
    MODULE_NAME,
    "--type=json",
    "-p",
    JSON.stringify([{ op: "remove", path: `/rules/${crdRule}` }]),
  ]);

  const saKubeconfig = writeTokenKubeconfig(cluster, token, join(dir, "sa.kubeconfig"));
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
      KUBECONFIG: saKubeconfig,
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
  const refused = await eventually(
    async () =>
      (await w.logTail(200))
        .split("\n")
        .find(
          l =>
            l.includes('"reason":"CrdForbidden"') &&
            l.includes("cannot install the CustomResourceDefinitions"),
        ),
    { what: "the refused install logged" },
  );
  expect(JSON.parse(refused)).toMatchObject({ level: 50, component: "crd-install", attempt: 1 });
  expect(JSON.parse(refused).err).toContain(
    "its ClusterRole needs create, get, patch and update on customresourcedefinitions",
  );

  // Pepr's watches on the missing kinds keep retrying (they no longer give up: see
  // capabilities/lib/outage/pepr-watch.ts); the rule comes back and the installer's next pass succeeds.
  kubectl(kc, [
    "patch",
    "clusterrole",
    MODULE_NAME,
    "--type=json",
    "-p",
    JSON.stringify([{ op: "add", path: "/rules/-", value: role.rules[crdRule] }]),
  ]);
  for (const name of OUR_CRDS) {
    const crd = await eventually(
      async () => {
        const c = await cluster.kube.getOptional<KubeObject & { status?: { conditions?: Json[] } }>(
          `${CRD_PATH}/${name}`,
        );
        return (
          c?.status?.conditions?.some(x => x.type === "Established" && x.status === "True") && c
        );
      },
      { what: `${name} Established`, timeoutMs: 60_000 },
    );
    expect(crd.metadata?.managedFields).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ manager: CRD_FIELD_MANAGER, operation: "Apply" }),
      ]),
    );
  }
  await eventually(
    async () =>
      (await w.logTail(200)).includes("CustomResourceDefinitions installed and Established"),
    {
      what: "the install logged",
    },
  );
});

test("a webserver sync is applied, repaired and deleted within the committed preset's RBAC", async () => {
  createInfrahubSecret({ kubectl: args => kubectl(kc, args) });
  // The operator ConfigMap (read through the configmaps rule): drift watches on for every sync.
  kubectl(kc, [
    "create",
    "configmap",
    "vidra-config",
    "-n",
    "pepr-system",
    "--from-literal=eventBasedReconcile=true",
  ]);
  kubectl(kc, ["label", "configmap", "vidra-config", "-n", "pepr-system", "app=vidra"]);
  const creds = { credentialsSecretRef: { name: "infrahub", namespace: "default" } };
  kubectl(
    kc,
    ["apply", "-f", "-"],
    syncJson("web", { source: { infrahubAPIURL: sim.url, ...creds }, pollInterval: "1h" }),
  );
  const sync = await ready("infrahubsync/web");
  expect(sync.status.artifactCount).toBe(1);
  const vrName = sim.listArtifacts("main")[0].id;
  await ready(`vidraresource/${vrName}`);
  for (const obj of [
    "namespace/ns-web-01",
    "-n ns-web-01 deployment/web-01",
    "-n ns-web-01 service/web-01",
    "-n ns-web-01 ingress/web-01",
  ]) {
    expect(get(["get", ...obj.split(" ")])).toBeDefined();
  }

  // Drift repair needs list and watch on the applied kinds.
  kubectl(kc, ["scale", "deployment", "-n", "ns-web-01", "web-01", "--replicas=4"]);
  await eventually(
    async () => get(["get", "deployment", "-n", "ns-web-01", "web-01"])?.spec.replicas === 1,
    {
      what: "replicas repaired",
      timeoutMs: 60_000,
    },
  );

  // Deleting the sync deletes its VidraResource; the finalizer prunes what it applied. The kubectl
  // commands are the ones docs/deploy.md gives for uninstalling.
  expect(
    kubectl(kc, [
      "get",
      "vidraresources",
      "-o",
      "custom-columns=NAME:.metadata.name,POLICY:.spec.deletionPolicy",
      "--no-headers",
    ]),
  ).toMatch(new RegExp(`^${vrName}\\s+Delete\\s*$`));
  kubectl(kc, ["delete", "infrahubsyncs", "--all"]);
  kubectl(kc, ["wait", "--for=delete", "vidraresources", "--all", "--timeout=120s"]);
  await eventually(
    async () => {
      const ns = get(["get", "namespace", "ns-web-01"]);
      return ns === undefined || !!ns.metadata.deletionTimestamp;
    },
    { what: "the applied Namespace pruned", timeoutMs: 60_000 },
  );

  // The only refusals are the CRD install's, while its rule was missing (first test).
  const log = await watcher!.logTail(5000);
  const refusals = log.split("\n").filter(l => /forbidden/i.test(l));
  expect(refusals.filter(l => !l.includes('"component":"crd-install"'))).toEqual([]);
  expect(log).not.toContain(token);
});
