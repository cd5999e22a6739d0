/**
 * Seeds a real Infrahub through its own pipeline, the way a user sets up Vidra's demo: a schema
 * node inheriting CoreArtifactTarget, three targets in a group, a git repository (CoreRepository)
 * whose .infrahub.yml holds a GraphQL query, a Jinja2 transform and the artifact definition, the
 * stored query ArtifactIDs as Vidra's docs define it, and a branch with one target changed.
 * Infrahub's worker imports the repository and renders the artifacts.
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from "node:fs";
import { join, relative } from "node:path";
import {
  ARTIFACT_NAME,
  InfrahubAdmin,
  TARGET_GROUP,
  TARGET_KIND,
  type ArtifactState,
} from "./admin";
import { INFRAHUB_VERSION, NEO4J_VERSION } from "./installation";

const seedDir = join(__dirname, "seed");

/** Bump when seed() changes what it makes: the hash of the data alone would not tell. */
const SEED_LOGIC_VERSION = 1;

interface SeedPlan {
  targets: { name: string; replicas: number; image: string }[];
  /** A branch made by the seed with one target changed there. */
  branch: { name: string; target: string; replicas: number; image: string };
  /**
   * Stored queries: ArtifactIDs is Vidra's required query verbatim from its docs and demo
   * repository (ArtifactIDsVidra the same under another name); NeedsVar and ResolverError fail
   * on purpose, for the contract suite's error probes.
   */
  storedQueries: Record<string, string>;
}

export const SEED_PLAN = JSON.parse(readFileSync(join(seedDir, "plan.json"), "utf8")) as SeedPlan;
export const SEED_TARGETS = SEED_PLAN.targets;
export const SEED_BRANCH = SEED_PLAN.branch.name;

/** What the seed leaves behind, kept with a snapshot for tests (time travel needs the times). */
export interface SeedResult {
  artifactsMain: ArtifactState[];
  /** When the branch feature-scale was created (Infrahub's own timestamp). */
  branchCreatedAt: string;
  /** A moment when main's artifacts were all Ready and the branch did not exist yet. */
  mainReadyAt: string;
}

function seedFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(seedDir);
  return out;
}

/** Identifies a seeded database: versions and the seed data. A change makes a new snapshot. */
export function seedHash(): string {
  const h = createHash("sha256");
  h.update(`${INFRAHUB_VERSION}\n${NEO4J_VERSION}\n${SEED_LOGIC_VERSION}\n`);
  for (const f of seedFiles()) {
    h.update(relative(__dirname, f));
    h.update(readFileSync(f));
  }
  return h.digest("hex").slice(0, 16);
}

/**
 * The seed repository at a fixed place in the cache: Infrahub stores its location, and every
 * stack restored from a snapshot fetches from it. Fixed author and dates give a fixed commit id.
 */
export function ensureSeedRepository(cacheDir: string, hash: string): string {
  const repo = join(cacheDir, "seed-repos", hash, "webserver-repo");
  if (existsSync(join(repo, ".git", "vidra-pepr-complete"))) return repo;
  const partial = `${repo}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  cpSync(join(seedDir, "webserver-repo"), partial, { recursive: true });
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: "vidra-pepr seed",
    GIT_AUTHOR_EMAIL: "seed@vidra-pepr.invalid",
    GIT_COMMITTER_NAME: "vidra-pepr seed",
    GIT_COMMITTER_EMAIL: "seed@vidra-pepr.invalid",
    GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z",
    GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z",
  };
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", partial, ...args], { env, stdio: "pipe" });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", "webserver query, transform and artifact definition");
  rmSync(repo, { recursive: true, force: true });
  renameSync(partial, repo);
  execFileSync("touch", [join(repo, ".git", "vidra-pepr-complete")]);
  return repo;
}

async function waitUntil(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(`seed: timed out waiting for ${what}${last ? `; last error: ${last}` : ""}`);
    await new Promise(r => setTimeout(r, 2000));
  }
}

export async function seed(
  admin: InfrahubAdmin,
  repoPath: string,
  log: (msg: string) => void = () => {},
): Promise<SeedResult> {
  await admin.post(
    "/api/schema/load",
    JSON.parse(readFileSync(join(seedDir, "schema.json"), "utf8")),
  );
  await waitUntil(`${TARGET_KIND} in the GraphQL schema`, 300_000, async () => {
    await admin.count(TARGET_KIND, "");
    return true;
  });
  log("schema loaded");

  const members: { id: string }[] = [];
  for (const t of SEED_TARGETS) members.push({ id: await admin.createTarget(t.name, t) });
  await admin.gql(
    `mutation($m: [RelatedNodeInput]) { CoreStandardGroupCreate(data: { name: { value: "${TARGET_GROUP}" }, members: $m }) { ok } }`,
    { m: members },
  );
  log(`${SEED_TARGETS.length} targets in group ${TARGET_GROUP}`);

  for (const [name, query] of Object.entries(SEED_PLAN.storedQueries))
    await admin.createStoredQuery(name, query);
  log(`stored queries ${Object.keys(SEED_PLAN.storedQueries).join(", ")}`);

  await admin.gql(
    `mutation($l: String!) { CoreRepositoryCreate(data: { name: { value: "webserver-repo" }, location: { value: $l }, default_branch: { value: "main" } }) { ok } }`,
    { l: repoPath },
  );
  log(`repository ${repoPath} registered; the worker imports it and renders the artifacts`);
  await waitUntil(
    `${SEED_TARGETS.length} ${ARTIFACT_NAME} artifacts Ready on main`,
    900_000,
    async () => {
      const arts = await admin.artifacts("main");
      return (
        arts.length === SEED_TARGETS.length && arts.every(a => a.status === "Ready" && a.checksum)
      );
    },
  );
  const artifactsMain = await admin.artifacts("main");
  log(
    `artifacts Ready on main: ${artifactsMain.map(a => `${a.target}=${a.checksum.slice(0, 8)}`).join(" ")}`,
  );
  // Branch timestamps are taken by the server: a moment safely before the branch, after the artifacts.
  await new Promise(r => setTimeout(r, 2000));
  const mainReadyAt = new Date().toISOString();
  await new Promise(r => setTimeout(r, 2000));

  const branchCreatedAt = await admin.createBranch(SEED_BRANCH);
  const { target, replicas, image } = SEED_PLAN.branch;
  const before = artifactsMain.find(a => a.target === target)!;
  const changed = await admin.changeTarget(target, { replicas, image }, SEED_BRANCH);
  log(
    `branch ${SEED_BRANCH}: ${target}'s artifact ${before.checksum.slice(0, 8)} -> ${changed.checksum.slice(0, 8)}`,
  );
  return { artifactsMain, branchCreatedAt, mainReadyAt };
}
