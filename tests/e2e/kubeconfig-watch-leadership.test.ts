/**
 * A remote destination's kubeconfig Secret is read from a watch only the leader holds: a standby
 * holds none, the leader opens one per Secret in use, a change to the Secret (not a timer) makes
 * its VidraResources resolve the destination again, losing the lease closes it, and a deleted
 * Secret is reported as before. The operator runs in this process against a real API server (the
 * "remote" destination is the same cluster, reached through the Secret's kubeconfig), so
 * leadership is switched directly.
 */
import { readFileSync } from "node:fs";
import { Operator } from "../../capabilities/lib/operator";
import { recordingLogger } from "../../capabilities/lib/logger";
import { NotLeaderError } from "../../capabilities/lib/leader/elector";
import { cacheEntries } from "../../hack/soak/cycles";
import {
  eventually,
  startCrdCluster,
  type KubectlCluster,
  type TestCluster,
} from "../support/cluster";

let cluster: TestCluster;
let kubectl: KubectlCluster["kubectl"];
let op: Operator | undefined;
const log = recordingLogger();

beforeAll(async () => {
  ({ cluster, kubectl } = await startCrdCluster("kubeconfig-leadership"));
}, 300_000);

afterAll(async () => {
  await op?.stop();
  await cluster?.stop();
});

function putKubeconfigSecret(annotations: Record<string, string> = {}): void {
  kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "kc", namespace: "default", annotations },
      data: {
        kubeconfig: Buffer.from(readFileSync(cluster.cp.kubeconfigPath, "utf8")).toString("base64"),
      },
    }),
  );
}

const caches = async () => cacheEntries(await op!.metrics.registry.metrics());
const ready = () => {
  const vr = JSON.parse(kubectl(["get", "vidraresource", "kc-user", "-o", "json"]));
  return (vr.status?.conditions ?? []).find((c: { type: string }) => c.type === "Ready");
};
const changes = () =>
  log.records.filter(r => r.msg?.startsWith("the destination's kubeconfig Secret changed")).length;

test("only the leader watches a kubeconfig Secret in use; its change, not a timer, re-resolves the destination", async () => {
  putKubeconfigSecret();
  kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "infrahub.operators.com/v1alpha1",
      kind: "VidraResource",
      metadata: { name: "kc-user" },
      spec: {
        manifest:
          "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: kc-user, namespace: default }\ndata: { a: b }\n",
        destination: {
          server: cluster.cp.server,
          kubeconfigSecretRef: { name: "kc", namespace: "default" },
        },
      },
    }),
  );
  op = new Operator({
    connection: cluster.connection,
    logger: log,
    apiServerProbeIntervalMs: 0,
    overdueCheckMs: 0,
    relistDelayMs: 500,
    writeFence: () => {
      if (!op?.isLeading) throw new NotLeaderError("standby");
    },
  });
  op.watchOwnKinds();

  // A standby sees the VidraResource (its caches stay warm) but opens no kubeconfig watch.
  await eventually(async () => (await caches()).cached_vidraresources === 1, {
    what: "the standby's cache of the VidraResource",
  });
  expect((await caches()).kubeconfig_watches).toBe(0);
  expect(ready()).toBeUndefined();

  op.startLeading();
  await eventually(async () => ready()?.status === "True", { what: "the VidraResource applied" });
  expect((await caches()).kubeconfig_watches).toBe(1);
  expect(kubectl(["get", "configmap", "kc-user", "-o", "name"]).trim()).toBe("configmap/kc-user");

  // A new version of the Secret reaches its VidraResource through the watch.
  const before = changes();
  putKubeconfigSecret({ rotated: "1" });
  await eventually(async () => changes() > before, { what: "the rotation seen" });

  // Losing the lease closes the watch at once; a change meanwhile queues nothing.
  op.stopLeading();
  expect((await caches()).kubeconfig_watches).toBe(0);
  const standbyChanges = changes();
  putKubeconfigSecret({ rotated: "2" });
  await new Promise(r => setTimeout(r, 2_000));
  expect(changes()).toBe(standbyChanges);
  expect((await caches()).kubeconfig_watches).toBe(0);

  // Leading again: the watch is back, and a deleted Secret is reported as it always was.
  op.startLeading();
  await eventually(async () => (await caches()).kubeconfig_watches === 1, {
    what: "the watch reopened",
  });
  kubectl(["delete", "secret", "kc", "-n", "default"]);
  const gone = await eventually(
    async () => {
      const c = ready();
      return c?.status === "False" && c.reason === "SecretNotFound" && c;
    },
    { what: "the VidraResource reporting its Secret missing" },
  );
  expect(gone.message).toContain(
    "destination.kubeconfigSecretRef: Secret default/kc does not exist",
  );
  expect(JSON.stringify(gone)).not.toContain(
    Buffer.from(readFileSync(cluster.cp.kubeconfigPath, "utf8")).toString("base64").slice(0, 40),
  );
  // And its re-creation at once (a retry after backoff would also get there, but later).
  putKubeconfigSecret();
  await eventually(async () => ready()?.status === "True", {
    what: "the VidraResource ready again",
  });
});
