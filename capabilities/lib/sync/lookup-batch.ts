import type { FindResult, InfrahubClient, LookupFilters } from "../infrahub";
import { parseTargetDate } from "../target-date";
import { PollBatcher, type PollBatcherOptions } from "./poll-batcher";
import type { InfrahubSyncObject } from "./resources";

type Source = NonNullable<InfrahubSyncObject["spec"]>["source"];

/** What one lookup of a batch needs: GraphQL filters, or a stored query's artifact name. */
export type BatchedLookup =
  | { kind: "graphql"; filters: LookupFilters }
  | { kind: "stored-query"; queryName: string; artifactName: string };

/** A sync's slice of a batch, and the time it was read at (its downloads read at the same time). */
export interface BatchAnswer {
  result: FindResult;
  at?: Date;
}

export type ArtifactBatcher = PollBatcher<BatchedLookup, BatchAnswer>;

export function artifactBatcher(opts: PollBatcherOptions): ArtifactBatcher {
  return new PollBatcher<BatchedLookup, BatchAnswer>(opts);
}

/** A number per client object: syncs with the same address, identity and TLS share the client. */
const clientIds = new WeakMap<InfrahubClient, number>();
let nextClientId = 0;
function clientId(client: InfrahubClient): number {
  let id = clientIds.get(client);
  if (id === undefined) clientIds.set(client, (id = ++nextClientId));
  return id;
}

/**
 * The sync's lookup through the batcher. GraphQL lookups of one client, branch and targetDate
 * form a group answered by one request (one aliased lookup per distinct filter set). A stored
 * query's answer cannot be split between artifact names (Vidra's query selects ids only), so its
 * group is the client, query, artifact name, branch and targetDate: identical lookups are sent once.
 */
export async function findThroughBatch(
  batcher: ArtifactBatcher,
  client: InfrahubClient,
  sync: InfrahubSyncObject,
  opts: { branch: string; queryName: string; notBefore: number },
): Promise<BatchAnswer & { group: string }> {
  const source: Source = sync.spec!.source;
  const { branch } = opts;
  // A relative date is read when the batch is sent; its group is the text, not the instant.
  const atNow = () =>
    source.targetDate ? parseTargetDate(source.targetDate, new Date()) : undefined;
  const common = [clientId(client), branch, source.targetDate ?? ""];
  let group: string;
  let lookup: BatchedLookup;
  if (source.discovery === "GraphQL") {
    group = JSON.stringify(["graphql", ...common]);
    lookup = {
      kind: "graphql",
      filters: {
        artifactNames: [source.artefactName],
        definitionName: source.definitionName || undefined,
        targetIds: source.targetIds?.length ? source.targetIds : undefined,
      },
    };
  } else {
    const queryName = source.queryName || opts.queryName;
    group = JSON.stringify(["stored-query", ...common, queryName, source.artefactName]);
    lookup = { kind: "stored-query", queryName, artifactName: source.artefactName };
  }
  const send = async (lookups: Map<string, BatchedLookup>): Promise<Map<string, BatchAnswer>> => {
    const at = atNow();
    const keys = [...lookups.keys()];
    const all = keys.map(k => lookups.get(k)!);
    if (all.every(l => l.kind === "graphql")) {
      const results = await client.findArtifactsBatch({
        branch,
        at,
        lookups: all.map(l => (l as Extract<BatchedLookup, { kind: "graphql" }>).filters),
      });
      return new Map(keys.map((k, i) => [k, { result: results[i], at }]));
    }
    // A stored-query group holds one lookup (its key is the whole lookup).
    const out = new Map<string, BatchAnswer>();
    for (const [k, l] of lookups) {
      if (l.kind !== "stored-query") continue;
      const result = await client.findArtifactsByStoredQuery({
        queryName: l.queryName,
        artifactName: l.artifactName,
        branch,
        at,
      });
      out.set(k, { result, at });
    }
    return out;
  };
  const answer = await batcher.fetch(
    group,
    { name: sync.metadata.name, filterKey: JSON.stringify(lookup), filters: lookup },
    send,
    opts.notBefore,
  );
  return { ...answer, group };
}
