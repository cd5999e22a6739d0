import { jsonOf, send } from "./http";
import type { ContractTarget, ContractWorld, SeedNames } from "./types";

/** The reference seed (shared/reference/real-infrahub/up.sh, and the simulator's contract seed). */
export const DEFAULT_SEED_NAMES: SeedNames = {
  artifactName: "Webserver_Manifest",
  definitionName: "Webserver_Artifact_Definition",
  targetKind: "KubernetesWebserver",
  targets: ["web-01", "web-02", "web-03"],
  branch: "feature-scale",
  changedTarget: "web-02",
  storedQueries: {
    artifactIds: "ArtifactIDsVidra",
    needsVar: "NeedsVar",
    resolverError: "ResolverError",
  },
};

export interface ArtifactFacts {
  id: string;
  targetId: string;
  status: string;
  contentType: string;
  checksum: string | null;
  storageId: string | null;
  /** µs since the epoch: when the artifact was created / last changed on this branch. */
  createdUs: number;
  changedUs: number;
  content: string;
}

/** What the suite learns from the server before the cases run (through the API token). */
export interface Facts {
  names: SeedNames;
  version: string;
  definitionId: string;
  world: ContractWorld;
  /** Per branch, per target label. */
  artifacts: Record<string, Record<string, ArtifactFacts>>;
  /** Instants (RFC 3339 with µs) inside the windows the `at` cases need. */
  times: {
    /** After main was created, before the first artifact existed. */
    beforeArtifacts: string;
    /** After every artifact on main was Ready, before the second branch was created. */
    beforeBranch: string;
    /** The last change anywhere (µs). */
    lastChangeUs: number;
  };
}

/** Parses RFC 3339 with up to 9 fraction digits and `Z` or `±hh:mm` into µs since the epoch. */
export function parseMicros(value: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(value);
  if (!m) throw new Error(`not an RFC 3339 time: ${value}`);
  const ms = Date.parse(`${m[1]}${m[3]}`);
  return ms * 1000 + Number((m[2] ?? "").slice(0, 6).padEnd(6, "0"));
}

/** µs since the epoch → `2026-01-02T03:04:05.123456Z`. */
export function formatMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  return new Date(ms).toISOString().replace("Z", `${String(us - ms * 1000).padStart(3, "0")}Z`);
}

const ARTIFACTS = `query Facts($name: String) {
  CoreArtifact(name__value: $name) {
    edges { node {
      id
      name { updated_at }
      status { value updated_at }
      content_type { value }
      checksum { value updated_at }
      storage_id { value updated_at }
      object { node { id display_label } }
    } }
  }
}`;
const DEFINITION = `query Def($name: String) {
  CoreArtifactDefinition(name__value: $name) {
    edges { node { id content_type { value } parameters { value } } }
  }
}`;

type Json = Record<string, unknown>;

/** Reads the seeded world through the API token; throws with a clear message when it is not there. */
export async function discoverFacts(target: ContractTarget): Promise<Facts> {
  const names: SeedNames = {
    ...DEFAULT_SEED_NAMES,
    ...target.seed,
    storedQueries: { ...DEFAULT_SEED_NAMES.storedQueries, ...target.seed?.storedQueries },
  };
  const key = { "X-INFRAHUB-KEY": target.credentials.apiToken };
  const graphql = async (query: string, variables: Json, branch = "main"): Promise<Json> => {
    const res = await send(target.url, {
      method: "POST",
      path: `/graphql/${encodeURIComponent(branch)}`,
      headers: key,
      body: { query, variables },
    });
    const body = jsonOf(res) as Json | undefined;
    if (res.status !== 200 || !body || body.errors)
      throw new Error(
        `contract facts: GraphQL on ${branch} answered ${res.status} ${res.body.toString("utf8").slice(0, 300)}`,
      );
    return body.data as Json;
  };

  const info = jsonOf(await send(target.url, { method: "GET", path: "/api/info" })) as Json;
  const branchList = (await graphql("{ Branch { name created_at } }", {})).Branch as Json[];
  const createdAt = (name: string): number => {
    const b = branchList.find(x => x.name === name);
    if (!b) throw new Error(`contract facts: branch ${name} does not exist; is the server seeded?`);
    return parseMicros(String(b.created_at));
  };
  const defEdges = (
    (await graphql(DEFINITION, { name: names.definitionName })).CoreArtifactDefinition as Json
  ).edges as Json[];
  if (defEdges.length !== 1)
    throw new Error(`contract facts: definition ${names.definitionName} not found`);
  const def = defEdges[0].node as Json;

  const artifacts: Facts["artifacts"] = {};
  const world: ContractWorld = {
    version: String(info.version),
    seed: names,
    definition: {
      contentType: String((def.content_type as Json).value),
      parameters: (def.parameters as Json).value,
    },
    branches: {},
  };
  for (const branch of ["main", names.branch]) {
    const edges = (
      (await graphql(ARTIFACTS, { name: names.artifactName }, branch)).CoreArtifact as Json
    ).edges as Json[];
    artifacts[branch] = {};
    world.branches[branch] = [];
    for (const edge of edges) {
      const n = edge.node as Json;
      const attr = (a: string) => n[a] as { value?: unknown; updated_at: string };
      const label = String(((n.object as Json).node as Json).display_label);
      const id = String(n.id);
      const download = await send(target.url, {
        method: "GET",
        path: `/api/artifact/${encodeURIComponent(id)}?branch=${encodeURIComponent(branch)}`,
        headers: key,
      });
      if (download.status !== 200)
        throw new Error(
          `contract facts: artifact ${label} on ${branch} answers ${download.status}`,
        );
      const facts: ArtifactFacts = {
        id,
        targetId: String(((n.object as Json).node as Json).id),
        status: String(attr("status").value),
        contentType: String(attr("content_type").value),
        checksum: (attr("checksum").value as string | null) ?? null,
        storageId: (attr("storage_id").value as string | null) ?? null,
        createdUs: parseMicros(attr("name").updated_at),
        changedUs: Math.max(
          ...["status", "checksum", "storage_id"].map(a => parseMicros(attr(a).updated_at)),
        ),
        content: download.body.toString("utf8"),
      };
      artifacts[branch][label] = facts;
      world.branches[branch].push({
        target: label,
        status: facts.status,
        contentType: facts.contentType,
        content: facts.content,
      });
    }
    for (const label of names.targets)
      if (!artifacts[branch][label])
        throw new Error(`contract facts: no ${names.artifactName} for ${label} on ${branch}`);
  }

  const main = Object.values(artifacts.main);
  const mainCreated = createdAt("main");
  const firstArtifact = Math.min(...main.map(a => a.createdUs));
  const lastMainChange = Math.max(...main.map(a => a.changedUs));
  const branchCreated = createdAt(names.branch);
  if (!(mainCreated < firstArtifact && lastMainChange < branchCreated))
    throw new Error(
      "contract facts: the seed's history is not in the expected order (main, artifacts Ready, branch)",
    );
  const all = Object.values(artifacts).flatMap(b => Object.values(b));
  return {
    names,
    version: String(info.version),
    definitionId: String(def.id),
    world,
    artifacts,
    times: {
      beforeArtifacts: formatMicros(Math.floor((mainCreated + firstArtifact) / 2)),
      beforeBranch: formatMicros(Math.floor((lastMainChange + branchCreated) / 2)),
      lastChangeUs: Math.max(branchCreated, ...all.map(a => a.changedUs)),
    },
  };
}
