/**
 * `npm start`: builds what is missing, starts the environment (local or remote), runs the operator
 * in Pepr dev mode, applies (or prints) the sample InfrahubSync, and shows the live view until
 * Ctrl-C, SIGTERM, or, with --ci / DEMO_EXIT_AFTER_READY=1, until the sample sync is Ready.
 */
import { dirname } from "node:path";
import { errorMessage } from "../../capabilities/lib/errors";
import { startModule, type RunningModule } from "../module-runner";
import { ensureBuilt } from "./build-steps";
import { repoRoot, type DemoConfig } from "./demo-config";
import { removeDemoState, writeDemoState } from "./demo-state";
import { startLocal, startRemote } from "./environments";
import { Lifecycle, StopRequested, removeAbandonedDirs } from "./lifecycle";
import {
  applySample,
  credentialsSecret,
  sampleInstructions,
  sampleSync,
  type SampleTarget,
} from "./sample";
import { setUpPush, WEBHOOK_SECRET, type PushSetup } from "./push";
import { SnapshotReader, syncIsReady, type Snapshot } from "./snapshot";
import { TerminalView } from "./terminal-view";
import { viewContext } from "./view-context";

const WORK_DIR_PREFIX = "vidra-pepr-demo-";
/** hack/module-runner.ts's temp dirs; only those the demo claimed (owner.pid) are ever removed. */
const MODULE_DIR_PREFIX = "vidra-pepr-module-";

export interface DemoIo {
  out: NodeJS.WriteStream;
  say(line: string): void;
}

/** Runs the demo to the end; resolves with the process exit code. */
export async function runDemo(config: DemoConfig, io: DemoIo): Promise<number> {
  const life = new Lifecycle(io.say);
  life.handleSignals();
  const startedAt = new Date();
  let module: RunningModule | undefined;
  let instructions: string | undefined;
  let code = 0;
  try {
    for (const note of config.notes) io.say(`note: ${note}`);
    for (const prefix of [WORK_DIR_PREFIX, MODULE_DIR_PREFIX]) {
      for (const dir of removeAbandonedDirs(prefix))
        io.say(`removed ${dir}, left by a demo that was killed`);
    }
    const workDir = life.tempDir(WORK_DIR_PREFIX);
    await ensureBuilt(life, io.say, {
      root: repoRoot,
      controlPlane: config.mode === "local",
      logDir: workDir,
      skipBuild: config.skipBuild,
    });
    life.check();
    const env =
      config.mode === "local"
        ? await startLocal(life, io.say, workDir)
        : await startRemote(config, life, io.say, workDir);
    life.check();
    io.say(
      `starting the operator (the built module in Pepr dev mode${env.registerWebhooks ? "" : ", without admission webhooks"}); installing the CRDs`,
    );
    module = await startModule({ cluster: env.cluster, registerWebhooks: env.registerWebhooks });
    const running = module;
    life.defer("stopping the operator", () => running.stop());
    const moduleDir = dirname(module.logFile);
    life.claimDir(moduleDir);
    let push: PushSetup | undefined;
    if (config.push && env.simulator && module.webhookUrl) {
      push = await setUpPush({
        kube: env.kube,
        sim: env.simulator,
        receiverUrl: module.webhookUrl,
        caPem: env.cluster.caPem,
      });
      io.say(
        `push sync: the simulator sends Infrahub's webhooks to ${push.endpoint} (key in Secret ${WEBHOOK_SECRET.namespace}/${WEBHOOK_SECRET.name}); the sync still polls every ${config.pollInterval}`,
      );
    } else if (module.webhookUrl) {
      io.say(
        `webhook receiver at ${module.webhookUrl}/webhooks/infrahub/<key Secret>; ${config.mode === "local" ? "DEMO_PUSH=0: changes arrive by polling" : "your Infrahub would need to reach this machine to use it: changes arrive by polling"}`,
      );
    }

    const target: SampleTarget = {
      ...env.infrahub,
      authKind: env.infrahub.auth.kind,
      pollInterval: config.pollInterval,
    };
    const sync = sampleSync(target);
    writeDemoState(config.stateFile, {
      pid: process.pid,
      mode: config.mode,
      startedAt: startedAt.toISOString(),
      simulatorUrl: env.simulator?.url,
      kubeconfig: env.cluster.kubeconfigPath,
      server: env.cluster.server,
      syncName: sync.metadata.name,
      branch: target.branch,
      pollInterval: config.pollInterval,
      push: !!push,
      tempDirs: [...life.tempDirs],
      moduleLog: module.logFile,
    });
    life.defer(`removing ${config.stateFile}`, () => removeDemoState(config.stateFile));
    life.onForcedExit(() => removeDemoState(config.stateFile));
    io.say(`operator running on 127.0.0.1:${module.port}, log ${module.logFile}`);
    life.check();

    if (config.mode === "local" || config.applySample) {
      io.say(
        `applying Secret default/infrahub-credentials and InfrahubSync ${sync.metadata.name} (pollInterval ${config.pollInterval})`,
      );
      await applySample(env.kube, sync, credentialsSecret(env.infrahub.url, env.infrahub.auth));
    } else {
      instructions = sampleInstructions(target, sync, env.cluster.kubeconfigPath);
      io.say(
        "the sample InfrahubSync is not applied to your cluster without DEMO_APPLY_SAMPLE=1; to apply it yourself:",
      );
      io.say(instructions);
    }

    const context = viewContext({
      config,
      env,
      modulePort: module.port,
      moduleLog: module.logFile,
      pushEndpoint: push?.endpoint,
      syncName: sync.metadata.name,
      startedAt,
      instructionsShown: instructions !== undefined,
    });
    const reader = new SnapshotReader(env.kube);
    let announced = false;
    const view = new TerminalView({
      out: io.out,
      refreshMs: config.refreshMs,
      read: () => reader.read(),
      context,
      onSnapshot: (s: Snapshot) => {
        if (announced || !syncIsReady(s, sync.metadata.name)) return;
        announced = true;
        const objects = s.objects.reduce((n, g) => n + g.rows.length, 0);
        if (!view.interactive)
          io.say(
            `READY: InfrahubSync ${sync.metadata.name} is Ready (${s.syncs.find(x => x.name === sync.metadata.name)?.artifacts.length} artifacts, ${objects} objects applied${sync.spec.wait ? " and healthy" : ""})`,
          );
        if (config.exitAfterReady) life.requestStop("ready");
      },
    });
    view.start();
    life.defer("stopping the view", () => view.stop());
    const timer = config.exitAfterReady
      ? setTimeout(() => life.requestStop("timeout"), config.readyTimeoutMs)
      : undefined;
    const reason = await life.stopped;
    if (timer) clearTimeout(timer);
    await view.stop();
    if (reason === "timeout") {
      code = 1;
      io.say(
        `InfrahubSync ${sync.metadata.name} was not Ready within ${config.readyTimeoutMs / 1000}s; the operator's log ends with:`,
      );
      io.say(await module.logTail(40));
    }
    io.say(
      reason === "ready"
        ? "the sample sync is Ready: stopping (--ci / DEMO_EXIT_AFTER_READY)"
        : `${reason}: stopping`,
    );
  } catch (err) {
    if (!(err instanceof StopRequested) && !life.stopping) {
      code = 1;
      io.say(`the demo could not start: ${errorMessage(err)}`);
      if (module) io.say(`the operator's log ends with:\n${await module.logTail(30)}`);
    } else {
      io.say("stopping");
    }
  } finally {
    await life.cleanup();
  }
  if (instructions) io.say(`to apply the sample InfrahubSync yourself:\n${instructions}`);
  io.say(code === 0 ? "stopped; nothing is left running" : "stopped");
  return code;
}
