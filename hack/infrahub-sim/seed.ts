import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { load } from "js-yaml";
import { SimError } from "./sim-error";
import type { InfrahubSimulator, SimulatorSeed } from "./types";

/** Reads a seed: an object as is, or a YAML file path (relative to the working directory). */
export function loadSeed(seed: SimulatorSeed | string): SimulatorSeed {
  if (typeof seed !== "string") return checkSeed(seed, "seed");
  const path = resolve(seed);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new SimError(`cannot read seed file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = load(text, { filename: path });
  } catch (err) {
    throw new SimError(`seed file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  return checkSeed(parsed ?? {}, path);
}

const LIST_KEYS = [
  "users",
  "apiTokens",
  "branches",
  "definitions",
  "artifacts",
  "storedQueries",
] as const;
const KNOWN_KEYS = new Set<string>([
  ...LIST_KEYS,
  "allowAnonymous",
  "accessTokenLifetimeSeconds",
  "refreshTokenLifetimeSeconds",
  "jwtSecret",
  "deploymentId",
  "version",
]);

/** Shape checks with the path of the offending entry, so a seed typo is easy to find. */
function checkSeed(value: unknown, where: string): SimulatorSeed {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new SimError(`${where}: the seed must be a mapping`);
  const seed = value as Record<string, unknown>;
  for (const key of Object.keys(seed)) {
    if (!KNOWN_KEYS.has(key))
      throw new SimError(
        `${where}: unknown seed key "${key}" (known: ${[...KNOWN_KEYS].join(", ")})`,
      );
  }
  for (const key of LIST_KEYS) {
    if (seed[key] !== undefined && !Array.isArray(seed[key]))
      throw new SimError(`${where}: "${key}" must be a list`);
  }
  const need = (cond: boolean, path: string, what: string): void => {
    if (!cond) throw new SimError(`${where}: ${path} ${what}`);
  };
  const list = <T>(key: string) => (seed[key] as T[] | undefined) ?? [];
  list<Record<string, unknown>>("users").forEach((u, i) => {
    need(
      typeof u?.username === "string" && u.username !== "",
      `users[${i}].username`,
      "must be a non-empty string",
    );
    need(typeof u?.password === "string", `users[${i}].password`, "must be a string");
  });
  list<unknown>("apiTokens").forEach((t, i) =>
    need(typeof t === "string" && t !== "", `apiTokens[${i}]`, "must be a non-empty string"),
  );
  list<Record<string, unknown>>("branches").forEach((b, i) =>
    need(
      typeof b?.name === "string" && b.name !== "",
      `branches[${i}].name`,
      "must be a non-empty string",
    ),
  );
  list<Record<string, unknown>>("definitions").forEach((d, i) => {
    need(typeof d?.name === "string", `definitions[${i}].name`, "must be a string");
    need(typeof d?.artifactName === "string", `definitions[${i}].artifactName`, "must be a string");
  });
  list<Record<string, unknown>>("artifacts").forEach((a, i) => {
    need(
      typeof a?.definition === "string",
      `artifacts[${i}].definition`,
      "must be a definition name",
    );
    need(
      typeof (a?.target as Record<string, unknown> | undefined)?.label === "string",
      `artifacts[${i}].target.label`,
      "must be a string",
    );
    need(
      a?.content === undefined || typeof a.content === "string",
      `artifacts[${i}].content`,
      "must be a string (use a YAML block scalar)",
    );
  });
  list<Record<string, unknown>>("storedQueries").forEach((q, i) => {
    need(
      typeof q?.name === "string" && typeof q?.query === "string",
      `storedQueries[${i}]`,
      "needs a string name and query",
    );
  });
  for (const key of ["accessTokenLifetimeSeconds", "refreshTokenLifetimeSeconds"]) {
    need(
      seed[key] === undefined || (typeof seed[key] === "number" && (seed[key] as number) >= 0),
      key,
      "must be a number >= 0",
    );
  }
  need(
    seed.version === undefined || (typeof seed.version === "string" && seed.version !== ""),
    "version",
    "must be a non-empty string",
  );
  need(
    seed.allowAnonymous === undefined || typeof seed.allowAnonymous === "boolean",
    "allowAnonymous",
    "must be true or false",
  );
  return seed as SimulatorSeed;
}

/**
 * Loads a seed's data in a fixed order (README.md "Loading order"):
 * 1. users (default: admin / infrahub when the seed lists none) and API tokens;
 * 2. definitions; 3. main's artifacts (no `branch`, or `branch: main`);
 * 4. branches in list order, each copied from its `from` (default main) at that moment;
 * 5. every other artifact in list order; a branch they name that is not listed is created from main;
 * 6. stored queries (after Vidra's ArtifactIDs, which a seed may replace).
 * Artifacts are created in list order, so given ids make the data reproducible.
 */
export function applySeedData(sim: InfrahubSimulator, seed: SimulatorSeed): void {
  if (seed.users === undefined) sim.addUser("admin", "infrahub");
  for (const u of seed.users ?? [])
    sim.addUser(u.username, u.password, { active: u.active, role: u.role });
  for (const token of seed.apiTokens ?? []) sim.addApiToken(token);
  for (const def of seed.definitions ?? []) sim.upsertDefinition(def);
  const artifacts = seed.artifacts ?? [];
  const onMain = (a: { branch?: string }) => a.branch === undefined || a.branch === "main";
  for (const a of artifacts.filter(onMain)) sim.upsertArtifact("main", a);
  const created = new Set<string>();
  for (const b of seed.branches ?? []) {
    sim.createBranch(b.name, b.from ?? "main");
    created.add(b.name);
  }
  for (const a of artifacts.filter(x => !onMain(x))) {
    const branch = a.branch as string;
    if (!created.has(branch)) {
      sim.createBranch(branch, "main");
      created.add(branch);
    }
    sim.upsertArtifact(branch, a);
  }
  for (const q of seed.storedQueries ?? []) sim.registerStoredQuery(q.name, q.query);
}
