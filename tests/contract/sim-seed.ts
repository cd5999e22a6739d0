import { VIDRA_ARTIFACT_IDS_QUERY, type SimulatorSeed } from "../../hack/infrahub-sim";
import { REFERENCE_CREDENTIALS } from "./reference";
import type { ContractWorld } from "./types";

/** The failing stored queries of the reference seed (shared/reference/real-infrahub/up.sh), verbatim. */
export const REFERENCE_STORED_QUERIES: Record<string, string> = {
  NeedsVar: "query NeedsVar($n: String!) { CoreArtifact(name__value: $n) { count } }",
  ResolverError: "query ResolverError { CoreArtifact(limit: -1) { count edges { node { id } } } }",
};

/** An id that sorts at `rank` among its kind (Infrahub orders same-named nodes by id). */
export function rankedId(kind: number, rank: number): string {
  return `18ee0000-0000-4000-8000-${String(kind).padStart(4, "0")}${String(rank).padStart(8, "0")}`;
}

/**
 * A simulator seed holding the same world as the recorded server: the reference account, API
 * token and JWT secret; the definition; each artifact with the recorded content (so checksums and
 * lengths agree) and an id of the same rank as on the server (so order and pages agree); the
 * second branch created after main's artifacts, with only the changed artifact rewritten there;
 * and the reference stored queries. Anonymous reads are allowed, as by default in Infrahub.
 */
export function contractSeed(world: ContractWorld): SimulatorSeed {
  const { seed } = world;
  const targets = new Map<string, string>();
  const mainList = world.branches.main;
  mainList.forEach((a, rank) => targets.set(a.target, rankedId(2, rank)));
  const artifactIds = new Map(mainList.map((a, rank) => [a.target, rankedId(1, rank)]));
  const artifact = (a: ContractWorld["branches"][string][number], branch?: string) => ({
    ...(branch === undefined ? {} : { branch }),
    id: artifactIds.get(a.target),
    definition: seed.definitionName,
    target: { label: a.target, kind: seed.targetKind, id: targets.get(a.target) },
    contentType: a.contentType,
    content: a.content,
  });
  const onBranch = (world.branches[seed.branch] ?? []).filter(a => {
    const main = mainList.find(m => m.target === a.target);
    return main === undefined || main.content !== a.content;
  });
  return {
    allowAnonymous: true,
    // The recorded server's version, so answers that show it compare equal.
    version: world.version,
    users: [{ username: REFERENCE_CREDENTIALS.username, password: REFERENCE_CREDENTIALS.password }],
    apiTokens: [REFERENCE_CREDENTIALS.apiToken],
    jwtSecret: REFERENCE_CREDENTIALS.jwtSecret,
    definitions: [
      {
        name: seed.definitionName,
        artifactName: seed.artifactName,
        contentType: world.definition.contentType,
        parameters: world.definition.parameters,
      },
    ],
    artifacts: [...mainList.map(a => artifact(a)), ...onBranch.map(a => artifact(a, seed.branch))],
    branches: [{ name: seed.branch, from: "main" }],
    storedQueries: Object.entries({
      [seed.storedQueries.artifactIds]: VIDRA_ARTIFACT_IDS_QUERY,
      [seed.storedQueries.needsVar]: REFERENCE_STORED_QUERIES.NeedsVar,
      [seed.storedQueries.resolverError]: REFERENCE_STORED_QUERIES.ResolverError,
    }).map(([name, query]) => ({ name, query })),
  };
}
