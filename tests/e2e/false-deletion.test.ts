/**
 * A watch's DELETED event for an object that still exists must not cost it its work. Pepr's watch
 * sends such events when its periodic relist races object creation (see
 * capabilities/lib/sync/deletion-check.ts); at 5,000 syncs this left about a thousand of them
 * waiting forever for a VidraResource reconcile that had been dropped from the queue. The operator
 * runs in this process against a real API server and the Infrahub simulator, and is handed the
 * events directly, so the false deletion is certain rather than a race.
 */
import { Operator } from "../../capabilities/lib/operator";
import { recordingLogger } from "../../capabilities/lib/logger";
import { infrahubSyncPath, vidraResourcePath } from "../../capabilities/lib/sync/resources";
import type { KubeObject } from "../../capabilities/lib/kube/client";
import { startInfrahubSimulator } from "../../hack/infrahub-sim";
import type { InfrahubSimulator } from "../../hack/infrahub-sim/types";
import {
  eventually,
  startCrdCluster,
  type KubectlCluster,
  type TestCluster,
} from "../support/cluster";
import { syncJson } from "../support/fixtures";

let cluster: TestCluster;
let kubectl: KubectlCluster["kubectl"];
let sim: InfrahubSimulator;
let op: Operator | undefined;
const log = recordingLogger();

beforeAll(async () => {
  ({ cluster, kubectl } = await startCrdCluster("false-deletion"));
  kubectl([
    "create",
    "secret",
    "generic",
    "infrahub",
    "-n",
    "default",
    "--from-literal=username=admin",
    "--from-literal=password=infrahub",
  ]);
  sim = await startInfrahubSimulator({
    seed: { users: [{ username: "admin", password: "infrahub" }] },
  });
}, 300_000);

afterAll(async () => {
  await op?.stop();
  await sim?.stop();
  await cluster?.stop();
});

const queries = () => sim.requestLog.filter(r => r.path.startsWith("/graphql")).length;

test("a sync reported deleted while it still exists keeps polling, and its VidraResource keeps its work", async () => {
  sim.upsertDefinition({ name: "Kept_Definition", artifactName: "Kept_Manifest" });
  sim.upsertArtifact("main", {
    definition: "Kept_Definition",
    target: { label: "kept" },
    content: "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: kept, namespace: default }\n",
  });
  kubectl(
    ["apply", "-f", "-"],
    syncJson("kept", {
      source: {
        infrahubAPIURL: sim.url,
        artefactName: "Kept_Manifest",
        discovery: "GraphQL",
        credentialsSecretRef: { name: "infrahub", namespace: "default" },
      },
      pollInterval: "1s",
    }),
  );
  op = new Operator({
    connection: cluster.connection,
    logger: log,
    apiServerProbeIntervalMs: 0,
    overdueCheckMs: 0,
  });
  const sync = await cluster.kube.get<KubeObject>(infrahubSyncPath("kept"));
  op.onInfrahubSync(sync, "ADDED");
  await eventually(async () => queries() >= 2, { what: "two polls", timeoutMs: 60_000 });

  op.onInfrahubSync(sync, "DELETED");
  const before = queries();
  await eventually(async () => queries() >= before + 3, {
    what: "polls after the false deletion",
    timeoutMs: 60_000,
  });
  expect(
    log.records.some(
      r => r.fields.path === infrahubSyncPath("kept") && /still exists/.test(r.msg ?? ""),
    ),
  ).toBe(true);

  // The sync's VidraResource, reported deleted after its first pass: its next run is kept.
  const vrName = await eventually(
    async () =>
      (await cluster.kube.list<KubeObject>("/apis/infrahub.operators.com/v1alpha1/vidraresources"))
        .items[0]?.metadata?.name,
    { what: "the sync's VidraResource" },
  );
  const vr = await cluster.kube.get<KubeObject>(vidraResourcePath(vrName));
  op.onVidraResource(vr, "ADDED");
  await eventually(async () => op!.resources.runningCount > 0 || op!.resources.delayedCount > 0, {
    what: "the VidraResource's first reconcile",
  });
  await op.resources.idle();
  // After its pass the key holds its next run (re-apply interval, or a retry).
  expect(op.resources.delayedCount).toBe(1);
  op.onVidraResource(vr, "DELETED");
  await eventually(
    async () =>
      log.records.some(
        r => r.fields.path === vidraResourcePath(vrName) && /still exists/.test(r.msg ?? ""),
      ),
    { what: "the deletion checked" },
  );
  expect(op.resources.delayedCount).toBe(1);
}, 240_000);
