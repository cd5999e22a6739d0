/**
 * The watcher starts its watches at once but must not reconcile before the CRDs this version ships
 * are Established (an upgrade may be changing their schema): the capability passes the install's
 * promise as `holdEventsUntil`. Events that arrive before it resolves are held, then handled in the
 * order they came. The operator runs in this process against a real API server and the Infrahub
 * simulator and is handed the events directly, so "before" is certain rather than a race.
 */
import { Operator } from "../../capabilities/lib/operator";
import { recordingLogger } from "../../capabilities/lib/logger";
import { infrahubSyncPath } from "../../capabilities/lib/sync/resources";
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

beforeAll(async () => {
  ({ cluster, kubectl } = await startCrdCluster("held-events"));
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

test("watch events that arrive before holdEventsUntil resolves are handled once it does", async () => {
  sim.upsertDefinition({ name: "Held_Definition", artifactName: "Held_Manifest" });
  sim.upsertArtifact("main", {
    definition: "Held_Definition",
    target: { label: "held" },
    content: "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: held, namespace: default }\n",
  });
  kubectl(
    ["apply", "-f", "-"],
    syncJson("held", {
      source: {
        infrahubAPIURL: sim.url,
        artefactName: "Held_Manifest",
        discovery: "GraphQL",
        credentialsSecretRef: { name: "infrahub", namespace: "default" },
      },
    }),
  );
  let open!: () => void;
  const crdsEstablished = new Promise<void>(resolve => (open = resolve));
  op = new Operator({
    connection: cluster.connection,
    logger: recordingLogger(),
    apiServerProbeIntervalMs: 0,
    overdueCheckMs: 0,
    holdEventsUntil: crdsEstablished,
  });
  const sync = await cluster.kube.get<KubeObject>(infrahubSyncPath("held"));
  // Without the hold an ADDED event queues the sync before the call returns.
  op.onInfrahubSync(sync, "ADDED");
  op.onInfrahubSync({ ...sync, metadata: { ...sync.metadata, name: "second" } }, "ADDED");
  expect(op.syncs.depth + op.syncs.runningCount + op.syncs.delayedCount).toBe(0);
  expect(queries()).toBe(0);

  open();
  await eventually(async () => queries() >= 1, { what: "the held sync's lookup" });
  await eventually(
    async () =>
      (
        await cluster.kube.get<KubeObject & { status?: { lastSyncTime?: string } }>(
          infrahubSyncPath("held"),
        )
      ).status?.lastSyncTime,
    { what: "the held sync reconciled" },
  );
  // After the gate, events go straight through: this one is queued at once.
  op.onInfrahubSync({ ...sync, metadata: { ...sync.metadata, name: "third" } }, "ADDED");
  expect(op.syncs.depth + op.syncs.runningCount).toBeGreaterThan(0);
}, 240_000);
