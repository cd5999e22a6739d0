/**
 * A seeded Infrahub's data (Neo4j store, object storage, git clones, Prefect's database), kept in
 * the install cache per seed hash, so that only the first boot pays for initialising an empty
 * database and seeding it (minutes); later stacks copy it into a fresh run directory.
 */
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { isAlive } from "../control-plane/processes";
import { SNAPSHOT_PARTS } from "./services";
import type { SeedResult } from "./seed";

export interface SnapshotMeta extends SeedResult {
  seedHash: string;
  createdAt: string;
  /** The run directory the data was made in: absolute paths under it are rewritten on restore. */
  sourceRunDir: string;
  /** The seed repository Infrahub fetches from (a fixed path, not rewritten). */
  seedRepository: string;
  /** Seconds from nothing running to a seeded, stopped stack. */
  coldBootSeconds: number;
}

export function snapshotsDir(cacheDir: string): string {
  return join(cacheDir, "snapshots");
}

export function readSnapshot(cacheDir: string, hash: string): SnapshotMeta | undefined {
  const file = join(snapshotsDir(cacheDir), hash, "meta.json");
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, "utf8")) as SnapshotMeta;
}

/** Turns a stopped, seeded run directory into the snapshot for `meta.seedHash` (a rename). */
export function saveSnapshot(cacheDir: string, runDir: string, meta: SnapshotMeta): void {
  for (const d of readdirSync(runDir))
    if (!(SNAPSHOT_PARTS as readonly string[]).includes(d))
      rmSync(join(runDir, d), { recursive: true, force: true });
  writeFileSync(join(runDir, "meta.json"), JSON.stringify(meta, null, 2));
  const final = join(snapshotsDir(cacheDir), meta.seedHash);
  rmSync(final, { recursive: true, force: true });
  renameSync(runDir, final);
}

/**
 * Copies a snapshot into `runDir`. Git keeps absolute paths in worktree links (`.git` files,
 * `worktrees/<name>/gitdir`); they are rewritten from the snapshot's run directory to this one.
 */
export function restoreSnapshot(cacheDir: string, meta: SnapshotMeta, runDir: string): void {
  const src = join(snapshotsDir(cacheDir), meta.seedHash);
  mkdirSync(runDir, { recursive: true });
  for (const part of SNAPSHOT_PARTS) {
    execFileSync("cp", ["-a", "--reflink=auto", join(src, part), join(runDir, part)]);
  }
  rewriteGitPaths(join(runDir, "git"), meta.sourceRunDir, runDir);
}

function rewriteGitPaths(dir: string, from: string, to: string): void {
  if (!existsSync(dir) || from === to) return;
  const walk = (d: string, inGitMeta: boolean) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        // Only git's metadata holds paths; objects and packs are binary and large.
        if (e.name === "objects") continue;
        walk(p, inGitMeta || e.name === ".git" || e.name === "worktrees");
      } else if (
        e.isFile() &&
        (e.name === ".git" || (inGitMeta && ["gitdir", "commondir", "config"].includes(e.name))) &&
        statSync(p).size < 65536
      ) {
        const text = readFileSync(p, "utf8");
        if (text.includes(from)) writeFileSync(p, text.split(from).join(to));
      }
    }
  };
  walk(dir, false);
}

/**
 * Runs `make` unless another process is already making the same snapshot, in which case it
 * waits for that one. The lock is a file holding the maker's pid; a dead maker's lock is taken over.
 */
export async function withSnapshotLock(
  cacheDir: string,
  hash: string,
  make: () => Promise<void>,
  log: (msg: string) => void,
): Promise<void> {
  mkdirSync(snapshotsDir(cacheDir), { recursive: true });
  const lock = join(snapshotsDir(cacheDir), `${hash}.lock`);
  let told = false;
  for (;;) {
    if (readSnapshot(cacheDir, hash)) return;
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx" });
      break;
    } catch {
      const holder = Number(readFileSync(lock, "utf8").trim() || "0");
      if (!isAlive(holder) || holder === process.pid) {
        rmSync(lock, { force: true });
        continue;
      }
      if (!told) log(`waiting for process ${holder}, which is seeding the same snapshot`);
      told = true;
      await new Promise(r => setTimeout(r, 3000));
    }
  }
  try {
    if (!readSnapshot(cacheDir, hash)) await make();
  } finally {
    rmSync(lock, { force: true });
  }
}
