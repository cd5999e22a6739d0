import { Log } from "pepr";
import { infrahubSyncCrd } from "../../crds/sources/infrahubsync";
import { vidraResourceCrd } from "../../crds/sources/vidraresource";
import { shouldInstallCrds, startCrdInstall } from "../lib/crd-install";
import { parseDuration } from "../lib/duration";
import { errorMessage } from "../lib/errors";
import { guardWatchGiveUps } from "../lib/outage/pepr-watch";
import { KubeClient } from "../lib/kube/client";
import { defaultAccess, execAllowList } from "../lib/kube/kubeconfig";
import { Operator } from "../lib/operator";
import { OperatorMetrics } from "../lib/metrics";
import { pushConfigFromEnv, type PushConfig } from "../lib/push/push-config";
import { startPushReceiver } from "../lib/push/push-receiver";
import { globalConfigAnyNamespace, operatorNamespace } from "../lib/tenancy/operator-namespace";
import { LeaderElector, LeaseLock, leaderConfigFromEnv, NotLeaderError } from "../lib/leader";
import type { LeaderConfig } from "../lib/leader";
import { ShardSelector, shardFromEnv } from "../lib/shard/shard";

const metrics = new OperatorMetrics();
let instance: Operator | undefined;

// The Infrahub webhook receiver runs where the operator runs (the watcher, or dev mode). A bad
// setting turns it off, loudly, rather than stopping the operator: polling still works without it.
let pushConfig: PushConfig | undefined;
try {
  pushConfig = shouldInstallCrds() ? pushConfigFromEnv() : undefined;
} catch (err) {
  Log.error({ err: errorMessage(err) }, "the Infrahub webhook receiver is off");
}

// Sharding and leader election (watcher and dev mode only). A bad setting is not replaced by a
// default: this replica then never leads and writes nothing, and says why, because guessing could
// make two replicas, or two shards, write the same objects.
let shard = ShardSelector.everything();
let election: LeaderConfig | undefined;
let electionProblem: string | undefined;
if (shouldInstallCrds()) {
  try {
    shard = shardFromEnv();
    election = leaderConfigFromEnv(shard);
  } catch (err) {
    electionProblem = errorMessage(err);
    Log.error(
      { err: electionProblem },
      "invalid sharding or leader-election settings: this replica reconciles nothing",
    );
  }
}
let elector: LeaderElector | undefined;

// The watcher (and dev mode) installs the CRDs this build ships, at start-up, retrying until they are
// Established; admission pods and `pepr build` load this file too and must not touch the cluster.
let crdClient: KubeClient | undefined;
const crdInstall = shouldInstallCrds()
  ? startCrdInstall({
      api: () => (crdClient ??= new KubeClient(defaultAccess())),
      crds: [infrahubSyncCrd, vidraResourceCrd],
      logger: Log.child({ component: "crd-install" }),
    })
  : undefined;
void crdInstall?.ready.then(() => crdClient?.close());

// A Pepr watch that gives up throws from a timer, which would end the process (see
// ../lib/outage/pepr-watch.ts): in the watcher, the operator takes over the watches instead.
if (shouldInstallCrds()) {
  guardWatchGiveUps({
    onGiveUp: err => {
      metrics.watchGiveUps.inc();
      Log.error(
        { err: errorMessage(err.cause ?? err) },
        "a Pepr watch gave up reconnecting; the operator now watches its ConfigMaps with its own watch too",
      );
      operator().takeOverWatches();
    },
    onFatal: err => Log.error({ err: errorMessage(err) }, "uncaught exception; exiting"),
  });
}

/**
 * The operator, built on first use. Watch callbacks only run in the watcher (and in dev mode), so
 * the admission pods, which load the same module, never start queues or open connections.
 */
export function operator(): Operator {
  if (!instance) {
    const identity = election?.identity;
    instance = new Operator({
      connection: defaultAccess(),
      logger: Log.child({ component: "operator" }),
      // The watches start at once; reconciling waits for the CRDs (an upgrade may change them).
      holdEventsUntil: crdInstall && !crdInstall.done ? crdInstall.ready : undefined,
      metrics,
      syncConcurrency: Number(process.env.VIDRA_SYNC_CONCURRENCY ?? 4),
      resourceConcurrency: Number(process.env.VIDRA_RESOURCE_CONCURRENCY ?? 4),
      applyConcurrency: Number(process.env.VIDRA_APPLY_CONCURRENCY ?? 16),
      pushDebounceMs: pushConfig?.debounceMs,
      kubeconfigExecAllowed: execAllowList(process.env.VIDRA_KUBECONFIG_EXEC_COMMANDS),
      infrahub: infrahubTimeout(process.env.VIDRA_INFRAHUB_TIMEOUT_SECONDS),
      operatorNamespace: operatorNamespace(),
      globalConfigAnyNamespace: globalConfigAnyNamespace(),
      pollOverdueAfterMs: durationSetting("VIDRA_POLL_OVERDUE_AFTER"),
      pollBatchWindowMs: durationSetting("VIDRA_POLL_BATCH_WINDOW"),
      shard,
      userAgent: identity ? `vidra-pepr/${identity}` : undefined,
      writeFence: writeFence(),
    });
    Log.info(
      {
        server: instance.kube.server,
        shard: shard.describe(),
        leaderElection: election?.enabled
          ? `${election.namespace}/${election.leaseName} as ${election.identity}`
          : "off",
      },
      "operator started",
    );
    // Removed setting: say so rather than let a user believe a poll they tuned still runs.
    if (process.env.VIDRA_KUBECONFIG_CHECK_SECONDS !== undefined)
      Log.warn(
        "VIDRA_KUBECONFIG_CHECK_SECONDS is ignored: kubeconfig Secrets are watched, so a rotation is seen at once",
      );
    startElection(instance);
    instance.watchOwnKinds();
  }
  return instance;
}

/** VIDRA_INFRAHUB_TIMEOUT_SECONDS: how long one request to Infrahub may take (default 30 s). */
function infrahubTimeout(value: string | undefined): { timeoutMs?: number } {
  const seconds = Number(value);
  if (value === undefined || value === "") return {};
  if (!Number.isFinite(seconds) || seconds <= 0) {
    Log.warn({ value }, "VIDRA_INFRAHUB_TIMEOUT_SECONDS is not a positive number; using 30");
    return {};
  }
  return { timeoutMs: seconds * 1000 };
}

/** A Go duration from the environment; unset or invalid (with a warning): the default. */
function durationSetting(name: string): number | undefined {
  const value = process.env[name];
  if (!value) return undefined;
  try {
    const ms = parseDuration(value);
    if (ms > 0) return ms;
  } catch {
    // reported below
  }
  Log.warn({ value }, `${name} is not a positive duration; using the default`);
  return undefined;
}

operator.metricsText = (): Promise<string> => metrics.text();

/** The "still leader" check every write of the operator passes; undefined without election. */
function writeFence(): (() => void) | undefined {
  if (electionProblem !== undefined)
    return () => {
      metrics.fencedWrites.inc();
      throw new NotLeaderError(`invalid settings: ${electionProblem}`);
    };
  if (!election?.enabled) return undefined;
  return () => {
    if (elector?.isLeader()) return;
    metrics.fencedWrites.inc();
    elector?.fence();
    throw new NotLeaderError("leader election has not started");
  };
}

/**
 * Only the Lease holder reconciles; the Lease has a client of its own (its renewals are neither
 * fenced nor counted among the operator's API requests).
 */
function startElection(op: Operator): void {
  if (!election?.enabled || electionProblem !== undefined) return;
  const leaseKube = new KubeClient(defaultAccess(), {
    userAgent: `vidra-pepr/${election.identity}`,
  });
  elector = new LeaderElector({
    lock: new LeaseLock(
      leaseKube,
      election.namespace,
      election.leaseName,
      election.timings.renewDeadlineMs,
    ),
    identity: election.identity,
    timings: election.timings,
    logger: Log.child({ component: "leader-election" }),
    onStartedLeading: () => {
      metrics.leaderTransitions.inc({ event: "started" });
      op.startLeading();
    },
    onStoppedLeading: reason => {
      metrics.leaderTransitions.inc({ event: "stopped" });
      Log.warn({ reason }, "stopped leading: queues dropped, writes refused");
      op.stopLeading();
    },
  });
  elector.start();
  // A rollout hands over at once instead of after the lease duration (best effort: Pepr exits
  // as soon as its server is closed).
  process.once("SIGTERM", () => void elector?.stop().finally(() => leaseKube.close()));
}

/** Why this replica takes no webhook events, or undefined when it leads. */
function standbyReason(): string | undefined {
  if (electionProblem !== undefined) return "this replica reconciles nothing (invalid settings)";
  if (!elector || elector.isLeader()) return undefined;
  const leader = elector.leader;
  return `this replica is a standby; ${leader && leader !== elector.identity ? `${leader} holds` : "nobody holds"} the lease ${election?.namespace}/${election?.leaseName}`;
}

// Started with the module, not with the first watch event: webhooks may come first, and the
// election should not wait for an event either.
if (shouldInstallCrds()) operator();
if (pushConfig?.enabled) {
  const op = operator();
  startPushReceiver({
    config: pushConfig,
    kube: op.kube,
    metrics,
    logger: Log.child({ component: "webhook-receiver" }),
    certPath: process.env.SSL_CERT_PATH || "/etc/certs/tls.crt",
    keyPath: process.env.SSL_KEY_PATH || "/etc/certs/tls.key",
    dispatch: (source, event, receivedAt) => op.onInfrahubEvent(source, event, receivedAt),
    standby: standbyReason,
  }).catch(err =>
    Log.error(
      { err: errorMessage(err) },
      "the Infrahub webhook receiver could not start; polling continues",
    ),
  );
}
