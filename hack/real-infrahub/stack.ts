/**
 * A real, seeded Infrahub 1.11.9 for tests, `npm run infrahub:up` and the demo.
 *
 *   const ih = await RealInfrahub.start({ name: "e2e" });   // free ports, own run directory
 *   ih.url; ih.admin.changeTarget("web-01", { replicas: 5 }, "my-branch");
 *   await ih.stop();                                        // every process, then the directory
 *
 * The first start on a machine initialises an empty database and seeds it (about 7 minutes on
 * 2 cores), then keeps the seeded data as a snapshot in the install cache; every later start
 * copies the snapshot and only starts the processes.
 */
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reapOrphans } from "../control-plane/processes";
import { InfrahubAdmin } from "./admin";
import { installation, type Installation } from "./installation";
import {
  ADMIN_PASSWORD,
  ADMIN_TOKEN,
  ADMIN_USERNAME,
  allocatePorts,
  InfrahubServices,
  type InfrahubPorts,
} from "./services";
import { ensureSeedRepository, seed, seedHash, SEED_TARGETS } from "./seed";
import {
  readSnapshot,
  restoreSnapshot,
  saveSnapshot,
  snapshotsDir,
  withSnapshotLock,
  type SnapshotMeta,
} from "./snapshot";

export interface RealInfrahubOptions {
  /** Shows up in the run directory's name. */
  name?: string;
  /** Keep the run directory (data and logs) after stop(). */
  keepDir?: boolean;
  log?: (msg: string) => void;
}

export interface RealInfrahubInfo {
  url: string;
  username: string;
  password: string;
  /** The admin's API token (header X-INFRAHUB-KEY). */
  token: string;
  runDir: string;
  ports: InfrahubPorts;
  /** What the seed made, with the times that time-travel tests need. */
  seed: SnapshotMeta;
}

export class RealInfrahub {
  readonly admin: InfrahubAdmin;
  private stopped = false;

  private constructor(
    readonly info: RealInfrahubInfo,
    private services: InfrahubServices,
    private readonly install: Installation,
    private readonly opts: RealInfrahubOptions,
  ) {
    this.admin = new InfrahubAdmin(info.url, info.token);
  }

  get url(): string {
    return this.info.url;
  }

  static async start(opts: RealInfrahubOptions = {}): Promise<RealInfrahub> {
    const log = opts.log ?? (() => {});
    const install = installation();
    reapOrphans();
    const meta = await ensureSnapshot(install, log);
    const runDir = mkdtempSync(join(tmpdir(), `vidra-pepr-infrahub-${opts.name ?? "stack"}-`));
    const started = Date.now();
    let services: InfrahubServices | undefined;
    try {
      restoreSnapshot(install.dir, meta, runDir);
      log(`snapshot ${meta.seedHash} copied to ${runDir} in ${secs(Date.now() - started)}`);
      const ports = await allocatePorts();
      services = new InfrahubServices({ install, runDir, ports, log });
      await services.start();
      const ih = new RealInfrahub(
        {
          url: services.url,
          username: ADMIN_USERNAME,
          password: ADMIN_PASSWORD,
          token: ADMIN_TOKEN,
          runDir,
          ports,
          seed: meta,
        },
        services,
        install,
        opts,
      );
      await ih.checkSeeded();
      log(`Infrahub ready at ${services.url} after ${secs(Date.now() - started)} (warm start)`);
      return ih;
    } catch (err) {
      await services?.stop();
      if (!opts.keepDir) rmSync(runDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The seeded artifacts are there and Ready: the restored database is the seeded one. */
  private async checkSeeded(): Promise<void> {
    const arts = await this.admin.artifacts("main");
    const ready = arts.filter(a => a.status === "Ready").length;
    if (ready !== SEED_TARGETS.length)
      throw new Error(
        `the restored Infrahub has ${ready} Ready artifacts on main, the seed made ${SEED_TARGETS.length}`,
      );
  }

  /**
   * Stops every process but keeps the data and the ports reserved in `info`: Infrahub is down
   * until startAgain(). For outage tests.
   */
  async stopProcesses(): Promise<void> {
    await this.services.stop();
  }

  /** Starts the processes again on the same data and ports (after stopProcesses). */
  async startAgain(): Promise<void> {
    this.services = new InfrahubServices({
      install: this.install,
      runDir: this.info.runDir,
      ports: this.info.ports,
      log: this.opts.log,
    });
    await this.services.start();
  }

  /** Resident memory of every process of the stack (all members of their process groups). */
  rssBytes(): { total: number; byService: Record<string, number> } {
    const byService: Record<string, number> = {};
    const groups = this.services.pids();
    const leaders = new Map(Object.entries(groups).map(([name, pid]) => [pid, name]));
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        // Fields after the command (which may hold spaces): state ppid pgrp ...
        const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
        const name = leaders.get(pgrp);
        if (!name) continue;
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${entry}/status`, "utf8"));
        byService[name] = (byService[name] ?? 0) + (m ? Number(m[1]) * 1024 : 0);
      } catch {
        // gone meanwhile
      }
    }
    return { total: Object.values(byService).reduce((a, b) => a + b, 0), byService };
  }

  async logs(lines = 20): Promise<string> {
    return this.services.logs(lines);
  }

  /** Stops every process and removes the run directory (unless keepDir). Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.services.stop();
    if (!this.opts.keepDir) rmSync(this.info.runDir, { recursive: true, force: true });
  }
}

/** The snapshot for the current seed; made first (cold boot + seed) when there is none. */
export async function ensureSnapshot(
  install: Installation,
  log: (msg: string) => void,
): Promise<SnapshotMeta> {
  const hash = seedHash();
  await withSnapshotLock(
    install.dir,
    hash,
    async () => {
      log(
        `no snapshot for seed ${hash}: first boot on an empty database, then seeding (several minutes)`,
      );
      await makeSnapshot(install, hash, log);
    },
    log,
  );
  const meta = readSnapshot(install.dir, hash);
  if (!meta) throw new Error(`snapshot ${hash} missing after seeding`);
  return meta;
}

async function makeSnapshot(
  install: Installation,
  hash: string,
  log: (msg: string) => void,
): Promise<void> {
  const started = Date.now();
  const staging = join(snapshotsDir(install.dir), `${hash}.seeding-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const repo = ensureSeedRepository(install.dir, hash);
  const services = new InfrahubServices({
    install,
    runDir: staging,
    ports: await allocatePorts(),
    log,
  });
  let result;
  try {
    await services.start();
    log(`empty Infrahub up after ${secs(Date.now() - started)}; seeding`);
    result = await seed(new InfrahubAdmin(services.url, ADMIN_TOKEN), repo, log);
  } catch (err) {
    const logs = await services.logs(30);
    await services.stop();
    const kept = join(install.dir, "logs", `seed-failed-${Date.now()}`);
    mkdirSync(join(install.dir, "logs"), { recursive: true });
    try {
      renameSync(join(staging, "logs"), kept);
    } catch {
      // no logs
    }
    rmSync(staging, { recursive: true, force: true });
    throw new Error(
      `seeding a real Infrahub failed (logs kept in ${kept}): ${(err as Error).message}\n${logs}`,
    );
  }
  // A clean stop: Neo4j flushes its store, Prefect closes its database.
  await services.stop();
  const meta: SnapshotMeta = {
    ...result,
    seedHash: hash,
    createdAt: new Date().toISOString(),
    sourceRunDir: staging,
    seedRepository: repo,
    coldBootSeconds: Math.round((Date.now() - started) / 1000),
  };
  mkdirSync(join(install.dir, "logs"), { recursive: true });
  rmSync(join(install.dir, "logs", `seed-${hash}`), { recursive: true, force: true });
  renameSync(join(staging, "logs"), join(install.dir, "logs", `seed-${hash}`));
  saveSnapshot(install.dir, staging, meta);
  log(`seeded and saved as snapshot ${hash} in ${secs(Date.now() - started)}`);
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
