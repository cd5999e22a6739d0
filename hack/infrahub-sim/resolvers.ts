import {
  MAIN_BRANCH,
  type ArtifactState,
  type ArtifactStore,
  type BranchInfo,
  type DefinitionRecord,
  type TargetRecord,
} from "./artifact-store";
import { formatMicros, formatMicrosOffset } from "./clock";
import { artifactFilterSpec, definitionFilterSpec } from "./filter-specs";
import { compileFilter, paginate } from "./filters";

/** What one GraphQL execution reads: the branch and the instant (`?at=`, µs) it is looking at. */
export interface QueryContext {
  branch: string;
  at?: number;
}

export interface ServerInfo {
  version: string;
  deploymentId: string;
}

type Args = Record<string, unknown>;

/**
 * The root value executed against the schema. Node objects are classes whose methods build
 * attribute objects only when a query selects them (graphql-js calls function-valued fields),
 * which keeps large pages cheap.
 */
export function createRootValue(store: ArtifactStore, info: ServerInfo): Record<string, unknown> {
  const artifactSpec = artifactFilterSpec(store);
  const definitionSpec = definitionFilterSpec();
  return {
    CoreArtifact: (args: Args, ctx: QueryContext) => {
      const matches = store.list(ctx.branch, ctx.at).filter(compileFilter(artifactSpec, args));
      return paginate(matches, args, a => ({ node: new ArtifactNode(store, a, ctx) }));
    },
    CoreArtifactDefinition: (args: Args) => {
      const matches = store.catalog.definitions().filter(compileFilter(definitionSpec, args));
      return paginate(matches, args, d => ({ node: new DefinitionNode(d) }));
    },
    InfrahubInfo: () => ({ version: info.version, deployment_id: info.deploymentId }),
    Branch: (args: Args) => {
      const ids = Array.isArray(args.ids) ? new Set(args.ids.map(String)) : undefined;
      const name = typeof args.name === "string" ? args.name : undefined;
      return store
        .branchInfos()
        .filter(
          b => (ids === undefined || ids.has(b.id)) && (name === undefined || b.name === name),
        )
        .map(branchView);
    },
    BranchCreate: (args: Args) => {
      const data = args.data as {
        name: string;
        description?: string | null;
        sync_with_git?: boolean | null;
      };
      if (store.hasBranch(data.name))
        throw new InfrahubGraphQLError(`The branch ${data.name} already exists`, 422);
      store.createBranch(data.name, MAIN_BRANCH, {
        description: data.description ?? undefined,
        syncWithGit: data.sync_with_git ?? undefined,
      });
      const created = store.branchInfos().find(b => b.name === data.name)!;
      return { ok: true, object: branchView(created) };
    },
  };
}

/**
 * An error raised by a resolver with the HTTP status Infrahub's exception class carries; it shows
 * as `extensions.http_status` (code stays UNDEFINED_ERROR), while the answer stays HTTP 200.
 */
export class InfrahubGraphQLError extends Error {
  constructor(
    message: string,
    readonly httpStatus: number,
  ) {
    super(message);
  }
}

/** A `Branch` object as infrahub-server 1.11.9 shows it. */
function branchView(b: BranchInfo) {
  return {
    id: b.id,
    name: b.name,
    description: b.description,
    origin_branch: b.origin,
    branched_from: formatMicros(b.createdAt),
    status: "OPEN",
    graph_version: null,
    created_at: formatMicros(b.createdAt),
    sync_with_git: b.syncWithGit,
    is_default: b.isDefault,
    schema_differs_from_default_branch: false,
  };
}

/**
 * An attribute object (`TextAttribute` / `JSONAttribute`); `id` is the attribute's own uuid.
 * `updated_at` is formatted only when a query selects it (it is the costliest field to build).
 */
class Attribute {
  readonly is_from_profile = false;
  readonly is_protected = false;
  readonly source = null;
  readonly owner = null;

  constructor(
    readonly __typename: string,
    readonly id: string,
    readonly value: unknown,
    private readonly updatedAtUs: number | null,
  ) {}

  get is_default(): boolean {
    return this.value === null;
  }
  get updated_at(): string | null {
    return this.updatedAtUs === null ? null : formatMicrosOffset(this.updatedAtUs);
  }
}

function attribute(
  typename: string,
  id: string,
  value: unknown,
  updatedAtUs: number | null,
): Attribute {
  return new Attribute(typename, id, value, updatedAtUs);
}

/**
 * `RelationshipProperty`: `is_protected` is null on relationships (unlike attributes), and
 * `updated_at` is when the relationship was made; formatted only when selected.
 */
class RelationProperties {
  readonly is_protected = null;
  readonly source = null;
  readonly owner = null;

  constructor(private readonly updatedAtUs: number) {}

  get updated_at(): string {
    return formatMicrosOffset(this.updatedAtUs);
  }
}

function relationProperties(updatedAtUs: number): RelationProperties {
  return new RelationProperties(updatedAtUs);
}

class ArtifactNode {
  readonly __typename = "CoreArtifact";
  readonly hfid = null;

  constructor(
    private readonly store: ArtifactStore,
    private readonly a: ArtifactState,
    private readonly ctx: QueryContext,
  ) {}

  get id(): string {
    return this.a.id;
  }
  get display_label(): string {
    return this.a.name;
  }
  name() {
    return attribute("TextAttribute", this.a.attrIds.name, this.a.name, this.a.attrTimes.name);
  }
  status() {
    return attribute(
      "TextAttribute",
      this.a.attrIds.status,
      this.a.status,
      this.a.attrTimes.status,
    );
  }
  content_type() {
    return attribute(
      "TextAttribute",
      this.a.attrIds.content_type,
      this.a.contentType,
      this.a.attrTimes.content_type,
    );
  }
  checksum() {
    return attribute(
      "TextAttribute",
      this.a.attrIds.checksum,
      this.a.checksum,
      this.a.attrTimes.checksum,
    );
  }
  /**
   * `storage_id { id }` is the attribute's id, not the storage id: Vidra's stored query reads it
   * and so, against real Infrahub, gets the attribute uuid. The simulator keeps that behaviour.
   */
  storage_id() {
    return attribute(
      "TextAttribute",
      this.a.attrIds.storage_id,
      this.a.storageId,
      this.a.attrTimes.storage_id,
    );
  }
  parameters() {
    return attribute("JSONAttribute", this.a.attrIds.parameters, null, this.a.attrTimes.parameters);
  }
  /** The relationship edge is never null; its node is when the peer is gone. */
  object() {
    const target = this.store.target(this.a.targetId);
    return target
      ? {
          node: new TargetNode(this.store, target, this.ctx),
          properties: relationProperties(this.a.attrTimes.name),
        }
      : { node: null, properties: null };
  }
  definition() {
    const def = this.store.definition(this.a.definitionId);
    return def
      ? { node: new DefinitionNode(def), properties: relationProperties(this.a.attrTimes.name) }
      : { node: null, properties: null };
  }
}

class DefinitionNode {
  readonly __typename = "CoreArtifactDefinition";
  readonly hfid = null;

  constructor(private readonly d: DefinitionRecord) {}

  get id(): string {
    return this.d.id;
  }
  get display_label(): string {
    return this.d.name;
  }
  name() {
    return attribute("TextAttribute", this.d.attrIds.name, this.d.name, this.d.updatedAt);
  }
  artifact_name() {
    return attribute(
      "TextAttribute",
      this.d.attrIds.artifact_name,
      this.d.artifactName,
      this.d.updatedAt,
    );
  }
  description() {
    return attribute(
      "TextAttribute",
      this.d.attrIds.description,
      this.d.description,
      this.d.updatedAt,
    );
  }
  content_type() {
    return attribute(
      "TextAttribute",
      this.d.attrIds.content_type,
      this.d.contentType,
      this.d.updatedAt,
    );
  }
  parameters() {
    return attribute(
      "JSONAttribute",
      this.d.attrIds.parameters,
      this.d.parameters,
      this.d.updatedAt,
    );
  }
  fingerprint() {
    return attribute("TextAttribute", this.d.attrIds.fingerprint, null, this.d.updatedAt);
  }
}

/** A target node; its GraphQL type is its kind, so `__typename` is e.g. "KubernetesWebserver". */
class TargetNode {
  readonly hfid = null;

  constructor(
    private readonly store: ArtifactStore,
    private readonly t: TargetRecord,
    private readonly ctx: QueryContext,
  ) {}

  get __typename(): string {
    return this.t.kind;
  }
  get id(): string {
    return this.t.id;
  }
  get display_label(): string {
    return this.t.label;
  }
  name() {
    return attribute("TextAttribute", this.t.nameAttrId, this.t.label, null);
  }
  artifacts(args: Args) {
    const filter = compileFilter(artifactFilterSpec(this.store), args);
    const mine = this.store
      .list(this.ctx.branch, this.ctx.at)
      .filter(a => a.targetId === this.t.id && filter(a));
    return paginate(mine, args, a => ({
      node: new ArtifactNode(this.store, a, this.ctx),
      properties: relationProperties(a.attrTimes.name),
    }));
  }
}
