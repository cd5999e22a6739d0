import type {
  ArtifactState,
  ArtifactStore,
  DefinitionRecord,
  TargetRecord,
} from "./artifact-store";
import { formatMicros } from "./clock";
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
  };
}

/**
 * An attribute object (`TextAttribute` / `JSONAttribute`); `id` is the attribute's own uuid.
 * `updated_at` is formatted only when a query selects it (it is the costliest field to build).
 */
class Attribute {
  readonly is_inherited = false;
  readonly is_from_profile = false;
  readonly is_protected = false;
  readonly is_visible = true;
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
    return this.updatedAtUs === null ? null : formatMicros(this.updatedAtUs);
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

/** `RelationshipProperty`; like attributes, `updated_at` is formatted only when selected. */
class RelationProperties {
  readonly is_visible = true;
  readonly is_protected = false;
  readonly source = null;
  readonly owner = null;

  constructor(private readonly updatedAtUs: number) {}

  get updated_at(): string {
    return formatMicros(this.updatedAtUs);
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
  get _updated_at(): string {
    return formatMicros(this.a.updatedAt);
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
  object() {
    const target = this.store.target(this.a.targetId);
    return target
      ? {
          node: new TargetNode(this.store, target, this.ctx),
          properties: relationProperties(this.a.updatedAt),
        }
      : null;
  }
  definition() {
    const def = this.store.definition(this.a.definitionId);
    return def
      ? { node: new DefinitionNode(def), properties: relationProperties(this.a.updatedAt) }
      : null;
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
  get _updated_at(): string {
    return formatMicros(this.d.updatedAt);
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
}

/** A target node; its GraphQL type is its kind, so `__typename` is e.g. "KubernetesWebserver". */
class TargetNode {
  readonly hfid = null;
  readonly _updated_at = null;

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
      properties: relationProperties(a.updatedAt),
    }));
  }
}
