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
import { eventually } from "../support/cluster";
import { startInProcessEnv, type InProcessEnv } from "../support/in-process-env";

let env: InProcessEnv;
let op: Operator | undefined;

beforeAll(async () => {
  env = await startInProcessEnv("held-events");
}, 300_000);

afterAll(async () => {
  await op?.stop();
  await env?.stop();
});

test("watch events that arrive before holdEventsUntil resolves are handled once it does", async () => {
  env.addSync(
    "held",
    "Held_Manifest",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: held, namespace: default }\n",
  );
  let open!: () => void;
  const crdsEstablished = new Promise<void>(resolve => (open = resolve));
  op = new Operator({
    connection: env.cluster.connection,
    logger: recordingLogger(),
    apiServerProbeIntervalMs: 0,
    overdueCheckMs: 0,
    holdEventsUntil: crdsEstablished,
  });
  const sync = await env.cluster.kube.get<KubeObject>(infrahubSyncPath("held"));
  // Without the hold an ADDED event queues the sync before the call returns.
  op.onInfrahubSync(sync, "ADDED");
  op.onInfrahubSync({ ...sync, metadata: { ...sync.metadata, name: "second" } }, "ADDED");
  expect(op.syncs.depth + op.syncs.runningCount + op.syncs.delayedCount).toBe(0);
  expect(env.graphqlQueries()).toBe(0);

  open();
  await eventually(async () => env.graphqlQueries() >= 1, { what: "the held sync's lookup" });
  await eventually(
    async () =>
      (
        await env.cluster.kube.get<KubeObject & { status?: { lastSyncTime?: string } }>(
          infrahubSyncPath("held"),
        )
      ).status?.lastSyncTime,
    { what: "the held sync reconciled" },
  );
  // After the gate, events go straight through: this one is queued at once.
  op.onInfrahubSync({ ...sync, metadata: { ...sync.metadata, name: "third" } }, "ADDED");
  expect(op.syncs.depth + op.syncs.runningCount).toBeGreaterThan(0);
}, 240_000);
