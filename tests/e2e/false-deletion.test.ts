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
import { eventually } from "../support/cluster";
import { startInProcessEnv, type InProcessEnv } from "../support/in-process-env";

let env: InProcessEnv;
let op: Operator | undefined;
const log = recordingLogger();

beforeAll(async () => {
  env = await startInProcessEnv("false-deletion");
}, 300_000);

afterAll(async () => {
  await op?.stop();
  await env?.stop();
});

const queries = () => env.graphqlQueries();

test("a sync reported deleted while it still exists keeps polling, and its VidraResource keeps its work", async () => {
  env.addSync(
    "kept",
    "Kept_Manifest",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: kept, namespace: default }\n",
    { pollInterval: "1s" },
  );
  op = new Operator({
    connection: env.cluster.connection,
    logger: log,
    apiServerProbeIntervalMs: 0,
    overdueCheckMs: 0,
  });
  const sync = await env.cluster.kube.get<KubeObject>(infrahubSyncPath("kept"));
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
      (
        await env.cluster.kube.list<KubeObject>(
          "/apis/infrahub.operators.com/v1alpha1/vidraresources",
        )
      ).items[0]?.metadata?.name,
    { what: "the sync's VidraResource" },
  );
  const vr = await env.cluster.kube.get<KubeObject>(vidraResourcePath(vrName));
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
