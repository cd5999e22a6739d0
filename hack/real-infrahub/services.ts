/**
 * The processes of one real Infrahub: Neo4j, Redis, epmd + RabbitMQ, the Prefect task manager,
 * `infrahub server start` and a task worker, on free loopback ports, with their data under one run
 * directory. Each runs in a process group of its own (their helpers go with them) and has the run
 * directory or the install cache in its command line, so a leftover is easy to find
 * (`.ci/run` greps for `vidra-pepr-infrahub-` and `/infrahub-<version>/`).
 */
import { readFile } from "node:fs/promises";
import { mkdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { waitFor } from "../control-plane/https-probe";
import { freePort } from "../control-plane/ports";
import { ManagedProcess } from "../control-plane/processes";
import type { Installation } from "./installation";

export interface InfrahubPorts {
  neo4j: number;
  redis: number;
  epmd: number;
  rabbit: number;
  rabbitDist: number;
  prefect: number;
  api: number;
  workerHealth: number;
}

/** Fixed secrets of these throw-away instances: a snapshot's tokens and sessions stay valid. */
export const ADMIN_USERNAME = "admin";
export const ADMIN_PASSWORD = "infrahub";
export const ADMIN_TOKEN = "06438eb2-8019-4776-878c-0941b1f1d1ec";
const AGENT_TOKEN = "44af444d-3b26-410d-9546-b758657e026c";
const SECRET_KEY = "327f747f-efac-42be-9e73-999f08f86b92";

export async function allocatePorts(): Promise<InfrahubPorts> {
  const ports: number[] = [];
  while (ports.length < 8) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const [neo4j, redis, epmd, rabbit, rabbitDist, prefect, api, workerHealth] = ports;
  return { neo4j, redis, epmd, rabbit, rabbitDist, prefect, api, workerHealth };
}

/** The run directory's layout; a snapshot holds the data parts of it. */
export function runLayout(runDir: string) {
  return {
    neo4j: join(runDir, "neo4j"),
    storage: join(runDir, "storage"),
    git: join(runDir, "git"),
    prefect: join(runDir, "prefect"),
    redis: join(runDir, "redis"),
    rabbitmq: join(runDir, "rabbitmq"),
    logs: join(runDir, "logs"),
    gitconfig: join(runDir, "gitconfig"),
  };
}

/** The directories a seeded snapshot keeps (RabbitMQ and Redis start empty every time). */
export const SNAPSHOT_PARTS = ["neo4j", "storage", "git", "prefect"] as const;

interface Service {
  name: string;
  proc: ManagedProcess;
  /** How long SIGTERM may take before SIGKILL. */
  graceMs: number;
}

export interface ServicesOptions {
  install: Installation;
  runDir: string;
  ports: InfrahubPorts;
  log?: (msg: string) => void;
  /** For the API server's first start on an empty database (minutes on 2 busy cores). */
  apiStartTimeoutMs?: number;
}

export class InfrahubServices {
  private running: Service[] = [];
  readonly url: string;

  constructor(private readonly opts: ServicesOptions) {
    this.url = `http://127.0.0.1:${opts.ports.api}`;
  }

  private get layout() {
    return runLayout(this.opts.runDir);
  }

  private log(msg: string): void {
    this.opts.log?.(msg);
  }

  /** The environment Infrahub's three Python processes share. */
  infrahubEnv(): NodeJS.ProcessEnv {
    const { ports } = this.opts;
    const l = this.layout;
    return {
      ...process.env,
      PYTHONUNBUFFERED: "1",
      INFRAHUB_DB_TYPE: "neo4j",
      INFRAHUB_DB_ADDRESS: "127.0.0.1",
      INFRAHUB_DB_PORT: String(ports.neo4j),
      INFRAHUB_DB_PROTOCOL: "bolt",
      INFRAHUB_DB_USERNAME: "neo4j",
      INFRAHUB_DB_PASSWORD: "admin",
      INFRAHUB_CACHE_DRIVER: "redis",
      INFRAHUB_CACHE_ADDRESS: "127.0.0.1",
      INFRAHUB_CACHE_PORT: String(ports.redis),
      // 1.11.9's message bus is rabbitmq or nats; there is no Redis broker.
      INFRAHUB_BROKER_DRIVER: "rabbitmq",
      INFRAHUB_BROKER_ADDRESS: "127.0.0.1",
      INFRAHUB_BROKER_PORT: String(ports.rabbit),
      INFRAHUB_BROKER_USERNAME: "guest",
      INFRAHUB_BROKER_PASSWORD: "guest",
      INFRAHUB_WORKFLOW_DRIVER: "worker",
      INFRAHUB_WORKFLOW_ADDRESS: "127.0.0.1",
      INFRAHUB_WORKFLOW_PORT: String(ports.prefect),
      INFRAHUB_WORKFLOW_DEFAULT_WORKER_TYPE: "infrahubasync",
      PREFECT_API_URL: `http://127.0.0.1:${ports.prefect}/api`,
      INFRAHUB_ADDRESS: this.url,
      INFRAHUB_INTERNAL_ADDRESS: this.url,
      INFRAHUB_SECURITY_SECRET_KEY: SECRET_KEY,
      INFRAHUB_INITIAL_ADMIN_TOKEN: ADMIN_TOKEN,
      INFRAHUB_INITIAL_AGENT_TOKEN: AGENT_TOKEN,
      INFRAHUB_STORAGE_DRIVER: "local",
      INFRAHUB_STORAGE_LOCAL_PATH: l.storage,
      INFRAHUB_GIT_REPOSITORIES_DIRECTORY: l.git,
      INFRAHUB_GIT_GLOBAL_CONFIG_FILE: l.gitconfig,
      INFRAHUB_TELEMETRY_OPTOUT: "true",
      PREFECT_SERVER_ANALYTICS_ENABLED: "false",
      PREFECT_UI_ENABLED: "false",
      PREFECT_HOME: l.prefect,
      // Prefect 3.8.6 caps flow-run parameters at 512 KiB, and the schema-load workflow sends the
      // whole schema: POST /api/schema/load would answer a bare 500.
      PREFECT_SERVER_API_MAX_PARAMETER_SIZE: "0",
      // Prefect's SQLite database waits at most 10 s for a lock and then answers 503, which
      // Infrahub passes on (e.g. a branch creation fails) when two cores are busy: wait longer.
      PREFECT_SERVER_DATABASE_TIMEOUT: "60",
      PREFECT_SERVER_DATABASE_CONNECTION_TIMEOUT: "30",
      // The worker's Prometheus endpoint defaults to 8000; any other free port will do.
      INFRAHUB_METRICS_PORT: "0",
      // The worker's health endpoint defaults to 8080: two instances would collide.
      PREFECT_WORKER_WEBSERVER_HOST: "127.0.0.1",
      PREFECT_WORKER_WEBSERVER_PORT: String(ports.workerHealth),
    };
  }

  private spawn(
    name: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    graceMs: number,
    argv0?: string,
  ): ManagedProcess {
    const proc = ManagedProcess.start({
      name: `infrahub-${name}`,
      command,
      args,
      env,
      cwd: this.opts.runDir,
      logFile: join(this.layout.logs, `${name}.log`),
      ownGroup: true,
      argv0,
    });
    this.running.push({ name, proc, graceMs });
    return proc;
  }

  private async ready(
    proc: ManagedProcess,
    timeoutMs: number,
    check: () => Promise<boolean>,
  ): Promise<void> {
    const started = Date.now();
    await waitFor(
      async () => {
        if (!proc.running) throw new Error("exited");
        return check();
      },
      {
        timeoutMs,
        intervalMs: 500,
        describe: async () =>
          `${proc.name} did not become ready within ${timeoutMs / 1000}s (${proc.describeExit()}); log ${proc.logFile}:\n${await proc.logTail(40)}`,
      },
    );
    if (!proc.running)
      throw new Error(`${proc.name} exited while starting: ${proc.describeExit()}`);
    this.log(`${proc.name.replace("infrahub-", "")} ready after ${secs(Date.now() - started)}`);
  }

  /**
   * Starts everything in dependency order: the four backing services side by side, then the API
   * server (which migrates or initialises the database), then the worker.
   */
  async start(): Promise<void> {
    const l = this.layout;
    for (const d of [l.neo4j, l.storage, l.git, l.prefect, l.redis, l.rabbitmq, l.logs])
      mkdirSync(d, { recursive: true });
    await Promise.all([
      this.startNeo4j(),
      this.startRedis().then(() => this.startPrefect()),
      this.startRabbitmq(),
    ]);
    await this.startApi();
    await this.startWorker();
  }

  private async startNeo4j(): Promise<void> {
    const { install, ports } = this.opts;
    const proc = this.spawn(
      "neo4j",
      join(install.javaHome, "bin", "java"),
      [
        "-Xmx1g",
        "--enable-native-access=ALL-UNNAMED",
        "-cp",
        install.neo4jClassPath,
        "Neo4jMain",
        this.layout.neo4j,
        String(ports.neo4j),
      ],
      process.env,
      60_000,
    );
    await this.ready(proc, 240_000, async () =>
      (await readFile(proc.logFile, "utf8")).includes("NEO4J READY"),
    );
  }

  private async startRedis(): Promise<void> {
    const { ports } = this.opts;
    const proc = this.spawn(
      "redis",
      "redis-server",
      [
        "--bind",
        "127.0.0.1",
        "--port",
        String(ports.redis),
        "--dir",
        this.layout.redis,
        "--save",
        "",
        "--appendonly",
        "no",
        // Keep the command line (with the run directory) instead of "redis-server 127.0.0.1:port".
        "--set-proc-title",
        "no",
      ],
      process.env,
      10_000,
    );
    await this.ready(proc, 60_000, async () =>
      (await tcpExchange(ports.redis, "PING\r\n")).startsWith("+PONG"),
    );
  }

  private async startRabbitmq(): Promise<void> {
    const { install, ports } = this.opts;
    const r = this.layout.rabbitmq;
    writeFileSync(
      join(r, "rabbitmq.conf"),
      `loopback_users = none\nlisteners.tcp.default = 127.0.0.1:${ports.rabbit}\n`,
    );
    writeFileSync(join(r, "enabled_plugins"), "[].\n");
    writeFileSync(join(r, ".erlang.cookie"), `vidra-pepr-${ports.rabbit}-${Date.now()}`, {
      mode: 0o600,
    });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: r,
      RABBITMQ_NODENAME: "rabbit@localhost",
      RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
      RABBITMQ_NODE_PORT: String(ports.rabbit),
      RABBITMQ_DIST_PORT: String(ports.rabbitDist),
      RABBITMQ_MNESIA_BASE: join(r, "mnesia"),
      RABBITMQ_LOG_BASE: join(r, "log"),
      RABBITMQ_CONFIG_FILE: join(r, "rabbitmq"),
      RABBITMQ_ADVANCED_CONFIG_FILE: join(r, "advanced.config"),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(r, "enabled_plugins"),
      RABBITMQ_PID_FILE: join(r, "rabbit.pid"),
      RABBITMQ_LOGS: "-",
      ERL_EPMD_ADDRESS: "127.0.0.1",
      ERL_EPMD_PORT: String(ports.epmd),
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: "-kernel inet_dist_use_interface {127,0,0,1}",
    };
    // Our own epmd on its own port: the one the Erlang VM would start by itself daemonises and
    // outlives every stop. Its command line has no path, so argv[0] carries the run directory.
    const epmd = this.spawn(
      "epmd",
      "epmd",
      ["-address", "127.0.0.1", "-port", String(ports.epmd)],
      env,
      5_000,
      join(this.opts.runDir, "epmd"),
    );
    await this.ready(epmd, 30_000, () => tcpOpen(ports.epmd));
    // Extra arguments reach `erl` as unused init flags: they tag the wrapper's and the VM's command lines.
    const proc = this.spawn(
      "rabbitmq",
      join(install.rabbitBin, "rabbitmq-server"),
      ["-vidra_pepr_run", this.opts.runDir],
      env,
      30_000,
    );
    await this.ready(proc, 180_000, async () =>
      (await readFile(proc.logFile, "utf8")).includes("Server startup complete"),
    );
  }

  private async startPrefect(): Promise<void> {
    const { install, ports } = this.opts;
    const proc = this.spawn(
      "prefect",
      join(install.venvBin, "uvicorn"),
      [
        "--host",
        "127.0.0.1",
        "--port",
        String(ports.prefect),
        "--factory",
        "infrahub.prefect_server.app:create_infrahub_prefect",
      ],
      this.infrahubEnv(),
      30_000,
    );
    await this.ready(proc, 300_000, () => httpOk(`http://127.0.0.1:${ports.prefect}/api/health`));
  }

  private async startApi(): Promise<void> {
    const { install, ports } = this.opts;
    const proc = this.spawn(
      "server",
      join(install.venvBin, "infrahub"),
      ["server", "start", "--listen", "127.0.0.1", "--port", String(ports.api)],
      this.infrahubEnv(),
      30_000,
    );
    // An empty database is initialised on the first start: minutes on 2 busy cores.
    await this.ready(proc, this.opts.apiStartTimeoutMs ?? 900_000, () =>
      httpOk(`${this.url}/api/config`),
    );
  }

  private async startWorker(): Promise<void> {
    const { install } = this.opts;
    const proc = this.spawn(
      "worker",
      join(install.venvBin, "prefect"),
      [
        "worker",
        "start",
        "--type",
        "infrahubasync",
        "--pool",
        "infrahub-worker",
        "--with-healthcheck",
      ],
      { ...this.infrahubEnv(), INFRAHUB_API_TOKEN: AGENT_TOKEN, INFRAHUB_TIMEOUT: "180" },
      // It relays SIGTERM to itself as SIGINT and has been seen not to exit within 30 s.
      10_000,
    );
    await this.ready(proc, 300_000, async () =>
      /Worker 'InfrahubWorkerAsync [^']*' started/.test(await readFile(proc.logFile, "utf8")),
    );
  }

  /** Stops every process, the worker first and Neo4j last (a clean Neo4j shutdown), and waits. */
  async stop(): Promise<void> {
    const services = [...this.running].reverse();
    this.running = [];
    for (const s of services) {
      const started = Date.now();
      await s.proc.stop(s.graceMs);
      this.log(`${s.name} stopped after ${secs(Date.now() - started)} (${s.proc.describeExit()})`);
    }
  }

  /** Log tails of every process, for failure messages. */
  async logs(lines = 20): Promise<string> {
    const parts = await Promise.all(
      this.running.map(
        async s => `--- ${s.name} (${s.proc.describeExit()})\n${await s.proc.logTail(lines)}`,
      ),
    );
    return parts.join("\n");
  }

  /** Process ids of the group leaders (each leads a group of its own), for RSS accounting. */
  pids(): Record<string, number> {
    return Object.fromEntries(
      this.running.filter(s => s.proc.pid !== undefined).map(s => [s.name, s.proc.pid!]),
    );
  }
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return res.ok;
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** Sends `line`, resolves with what came back first (or "" on error/timeout). */
function tcpExchange(port: number, line: string): Promise<string> {
  return new Promise(resolve => {
    const s = connect(port, "127.0.0.1");
    const done = (v: string) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(3000, () => done(""));
    s.once("connect", () => s.write(line));
    s.once("data", d => done(d.toString("utf8")));
    s.once("error", () => done(""));
  });
}
