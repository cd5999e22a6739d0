import type { Logger } from "../logger";
import { toAtParam } from "../target-date";
import {
  FIND_ARTIFACTS_OPERATION,
  FIND_ARTIFACTS_QUERY,
  type FindArtifactsVariables,
} from "./artifact-documents";
import {
  parseArtifactNode,
  readiness,
  type ArtifactSource,
  type ParsedArtifact,
} from "./artifact-parse";
import { errorMessages } from "./envelope";
import { InfrahubInvalidResponseError } from "./errors";
import { presentMessages } from "./redact";
import { describeEndpoint, type RequestSpec } from "./requester";
import type { ArtifactLookup, FindResult, StoredQueryLookup } from "./types";

/** An authorised JSON call (retries, breaker and token handling already applied). */
export type JsonCall = (spec: Omit<RequestSpec, "expect">) => Promise<unknown>;

export interface FindContext {
  call: JsonCall;
  address: string;
  logger: Logger;
  secrets: () => Iterable<string>;
}

const SHAPE_HINT_STORED =
  "The stored query must select CoreArtifact { edges { node { id ... } } }; Vidra's ArtifactIDs query does.";
const SHAPE_HINT_GRAPHQL =
  "Check that this Infrahub version has the CoreArtifact kind and the usual filters.";

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** `data.CoreArtifact` of a 200 answer; GraphQL `errors` and wrong shapes throw InvalidResponse. */
function coreArtifact(
  body: unknown,
  endpoint: string,
  ctx: FindContext,
  hint: string,
  field = "CoreArtifact",
): Record<string, unknown> {
  const where = { address: ctx.address, endpoint, status: 200 };
  const messages = presentMessages(errorMessages(body), ctx.secrets());
  if (messages.length > 0) {
    throw new InfrahubInvalidResponseError(
      "Infrahub reported GraphQL errors",
      { ...where, serverMessages: messages },
      hint,
      {
        retryable: false,
      },
    );
  }
  const result = record(record(record(body)?.data)?.[field]);
  if (result === undefined || !Array.isArray(result.edges)) {
    throw new InfrahubInvalidResponseError(
      `Infrahub's answer has no data.${field}.edges list`,
      where,
      hint,
      {
        retryable: false,
      },
    );
  }
  return result;
}

function parseEdges(
  edges: unknown[],
  endpoint: string,
  ctx: FindContext,
  hint: string,
): ParsedArtifact[] {
  return edges.map((edge, index) => {
    const parsed = parseArtifactNode(record(edge)?.node);
    if (parsed === undefined) {
      throw new InfrahubInvalidResponseError(
        `Artifact #${index} in Infrahub's answer has no id`,
        { address: ctx.address, endpoint, status: 200 },
        hint,
        { retryable: false },
      );
    }
    return parsed;
  });
}

function split(parsed: Iterable<ParsedArtifact>, source: ArtifactSource): FindResult {
  const result: FindResult = { ready: [], notReady: [] };
  const seen = new Set<string>();
  for (const p of parsed) {
    if (seen.has(p.artifact.id)) continue;
    seen.add(p.artifact.id);
    const r = readiness(p, source);
    if (r.ready) result.ready.push(p.artifact);
    else result.notReady.push({ artifact: p.artifact, reason: r.reason });
  }
  return result;
}

/** Vidra's lookup: run a stored query with `{"artifactname": <name>}` on a branch at a time. */
export async function findByStoredQuery(
  ctx: FindContext,
  q: StoredQueryLookup,
): Promise<FindResult> {
  const spec: Omit<RequestSpec, "expect"> = {
    method: "POST",
    path: `/api/query/${encodeURIComponent(q.queryName)}`,
    query: { branch: q.branch, at: q.at && toAtParam(q.at), update_group: "false" },
    body: { variables: { artifactname: q.artifactName } },
    endpoint: "POST /api/query",
    purpose: "api",
    subject: `stored query ${JSON.stringify(q.queryName)}`,
    notFoundHint:
      "Register the query in Infrahub (e.g. in .infrahub.yml under queries:) or fix the operator's query name.",
    storedQuery: true,
  };
  const endpoint = describeEndpoint(ctx.address, spec);
  const body = await ctx.call(spec);
  const edges = coreArtifact(body, endpoint, ctx, SHAPE_HINT_STORED).edges as unknown[];
  return split(parseEdges(edges, endpoint, ctx, SHAPE_HINT_STORED), "stored-query");
}

/** The filters of a GraphQL lookup as FindArtifacts' variables; undefined when it matches nothing. */
export function lookupFilters(
  q: Omit<ArtifactLookup, "branch" | "at">,
): Omit<FindArtifactsVariables, "offset" | "limit"> | undefined {
  const filters: Omit<FindArtifactsVariables, "offset" | "limit"> = {};
  if (q.artifactNames !== undefined) filters.names = q.artifactNames;
  if (q.definitionName !== undefined) filters.definitionName = q.definitionName;
  if (q.targetIds !== undefined) filters.targetIds = q.targetIds;
  if (q.artifactIds !== undefined) filters.ids = q.artifactIds;
  // "Any of []" matches nothing; asking Infrahub would risk it reading the empty list as "no filter".
  const empty = [filters.names, filters.targetIds, filters.ids].some(
    list => list !== undefined && list.length === 0,
  );
  return empty ? undefined : filters;
}

/** The request of a GraphQL lookup on `branch` at `at`, without its body. */
export function graphqlRequest(branch: string, at: Date | undefined) {
  return {
    method: "POST" as const,
    path: `/graphql/${encodeURIComponent(branch)}`,
    query: { at: at && toAtParam(at) },
    endpoint: "POST /graphql",
    purpose: "api" as const,
    subject: `GraphQL endpoint for branch ${JSON.stringify(branch)}`,
    notFoundHint: "Create the branch in Infrahub or fix the sync's target branch.",
  };
}

/**
 * Reads one lookup's offset/limit pages until `count` is reached. Guards against servers that page
 * inconsistently: an empty page before `count` (not retryable), and a `count` that changes or ids
 * repeated across pages (retryable: the data changed meanwhile).
 */
export class ArtifactPager {
  private readonly collected = new Map<string, ParsedArtifact>();
  private expected: number | undefined;
  private offset = 0;
  private received = 0;

  constructor(
    private readonly ctx: FindContext,
    private readonly endpoint: string,
    private readonly pageSize: number,
  ) {}

  /** The next page's offset and limit. */
  get page(): { offset: number; limit: number } {
    return { offset: this.offset, limit: this.pageSize };
  }

  get done(): boolean {
    return this.expected !== undefined && this.received >= this.expected;
  }

  /** Takes one page (`{count, edges}`, already checked to have an edges list). */
  accept(page: Record<string, unknown>): void {
    const { ctx, endpoint } = this;
    const count = page.count;
    const where = { address: ctx.address, endpoint, status: 200 };
    if (typeof count !== "number" || !Number.isInteger(count) || count < 0) {
      throw new InfrahubInvalidResponseError(
        "Infrahub's answer has no valid CoreArtifact.count",
        where,
        SHAPE_HINT_GRAPHQL,
        { retryable: false },
      );
    }
    if (this.expected !== undefined && count !== this.expected) {
      throw new InfrahubInvalidResponseError(
        `The result changed while paging (count went from ${this.expected} to ${count})`,
        where,
        "Artifacts were added or removed during the lookup; it is repeated on the next sync.",
        { retryable: true },
      );
    }
    this.expected = count;
    const edges = page.edges as unknown[];
    for (const parsed of parseEdges(edges, endpoint, ctx, SHAPE_HINT_GRAPHQL))
      this.collected.set(parsed.artifact.id, parsed);
    this.received += edges.length;
    this.offset += edges.length;
    if (!this.done && edges.length === 0) {
      throw new InfrahubInvalidResponseError(
        `Infrahub returned an empty page at offset ${this.offset} although count is ${count}`,
        where,
        "Infrahub's pagination is inconsistent; check the Infrahub version (offset pagination bugs were fixed after 0.16).",
        { retryable: false },
      );
    }
  }

  /** Every artifact read, once each. */
  result(): FindResult {
    const { ctx, collected, received } = this;
    if (collected.size < received) {
      ctx.logger.warn(
        { address: ctx.address, received, unique: collected.size },
        "Infrahub repeated artifacts across pages",
      );
      if (collected.size < (this.expected ?? 0)) {
        throw new InfrahubInvalidResponseError(
          `The result changed while paging (${received - collected.size} artifacts appeared on two pages)`,
          { address: ctx.address, endpoint: this.endpoint, status: 200 },
          "Artifacts were added or removed during the lookup; it is repeated on the next sync.",
          { retryable: true },
        );
      }
    }
    return split(collected.values(), "graphql");
  }
}

/** `data.<field>` of a GraphQL answer as a page (`{count, edges}`); errors and wrong shapes throw. */
export function graphqlPage(
  body: unknown,
  field: string,
  endpoint: string,
  ctx: FindContext,
): Record<string, unknown> {
  return coreArtifact(body, endpoint, ctx, SHAPE_HINT_GRAPHQL, field);
}

/** Direct GraphQL lookup on `CoreArtifact`, reading offset/limit pages until `count` is reached. */
export async function findByGraphql(
  ctx: FindContext,
  q: ArtifactLookup,
  pageSize: number,
): Promise<FindResult> {
  const filters = lookupFilters(q);
  if (filters === undefined) return { ready: [], notReady: [] };
  const base = graphqlRequest(q.branch, q.at);
  const endpoint = describeEndpoint(ctx.address, base);
  const pager = new ArtifactPager(ctx, endpoint, pageSize);
  while (!pager.done) {
    const variables: FindArtifactsVariables = { ...filters, ...pager.page };
    const body = await ctx.call({
      ...base,
      body: { query: FIND_ARTIFACTS_QUERY, variables, operationName: FIND_ARTIFACTS_OPERATION },
    });
    pager.accept(graphqlPage(body, "CoreArtifact", endpoint, ctx));
  }
  return pager.result();
}
