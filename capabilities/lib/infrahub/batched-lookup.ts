import {
  batchAlias,
  batchVariable,
  FIND_ARTIFACTS_BATCH_OPERATION,
  findArtifactsBatchQuery,
  type FindArtifactsVariables,
} from "./artifact-documents";
import {
  ArtifactPager,
  graphqlPage,
  graphqlRequest,
  lookupFilters,
  type FindContext,
} from "./find-artifacts";
import { describeEndpoint } from "./requester";
import type { ArtifactLookup, FindResult } from "./types";

/** One lookup of a batch: the filters of ArtifactLookup; branch and time are the batch's. */
export type LookupFilters = Omit<ArtifactLookup, "branch" | "at">;

export interface BatchQuery {
  branch: string;
  at?: Date;
  lookups: LookupFilters[];
}

/**
 * Several GraphQL lookups on one branch at one time, in as few requests as their pages allow: each
 * request carries every lookup that still has a page to read (one aliased CoreArtifact field
 * each, with its own filters, offset and limit), at most `maxLookups` of them. The answers come
 * back in the order of `q.lookups`. Any failure (HTTP, GraphQL errors, a bad page of any lookup)
 * fails the whole batch: Infrahub nulls the whole `data` for a field error anyway.
 */
export async function findByGraphqlBatch(
  ctx: FindContext,
  q: BatchQuery,
  pageSize: number,
  maxLookups: number,
): Promise<FindResult[]> {
  const base = graphqlRequest(q.branch, q.at);
  const endpoint = describeEndpoint(ctx.address, base);
  const filters = q.lookups.map(lookupFilters);
  const pagers = filters.map(f =>
    f === undefined ? undefined : new ArtifactPager(ctx, endpoint, pageSize),
  );
  const open = () =>
    pagers.flatMap((p, i) => (p !== undefined && !p.done ? [{ pager: p, index: i }] : []));
  for (let pending = open(); pending.length > 0; pending = open()) {
    const sent = pending.slice(0, Math.max(1, maxLookups));
    const variables: Record<string, unknown> = {};
    sent.forEach(({ pager, index }, i) => {
      const own: Partial<FindArtifactsVariables> = { ...filters[index], ...pager.page };
      for (const [name, value] of Object.entries(own))
        variables[batchVariable(name as keyof FindArtifactsVariables, i)] = value;
    });
    const body = await ctx.call({
      ...base,
      body: {
        query: findArtifactsBatchQuery(sent.length),
        variables,
        operationName: FIND_ARTIFACTS_BATCH_OPERATION,
      },
    });
    sent.forEach(({ pager }, i) => pager.accept(graphqlPage(body, batchAlias(i), endpoint, ctx)));
  }
  return pagers.map(p => p?.result() ?? { ready: [], notReady: [] });
}
