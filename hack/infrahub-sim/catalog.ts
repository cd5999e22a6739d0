import { randomUUID } from "node:crypto";
import type { MicroClock } from "./clock";
import { DEFAULT_TARGET_KIND, DEFAULT_TARGET_KINDS, assertTargetKind } from "./schema";
import { SimError } from "./sim-error";
import type { DefinitionInput, TargetInput } from "./types";

export interface DefinitionRecord {
  readonly id: string;
  name: string;
  artifactName: string;
  contentType: string;
  parameters: unknown;
  description: string | null;
  updatedAt: number;
  readonly attrIds: Readonly<
    Record<
      "name" | "artifact_name" | "description" | "content_type" | "parameters" | "fingerprint",
      string
    >
  >;
}

export interface TargetRecord {
  readonly id: string;
  label: string;
  kind: string;
  readonly nameAttrId: string;
}

/** A definition's content type when none is given: the operator's artifacts are manifests. */
export const DEFAULT_CONTENT_TYPE = "application/yaml";

/**
 * Artifact definitions and target nodes. Both are global and unversioned: Infrahub versions
 * definitions per branch, but the handle's `upsertDefinition` has no branch and nothing the
 * operator reads depends on it. Targets are found by id, else by kind + label.
 */
export class Catalog {
  private readonly defsById = new Map<string, DefinitionRecord>();
  private readonly defsByName = new Map<string, DefinitionRecord>();
  private readonly targetsById = new Map<string, TargetRecord>();
  private readonly targetsByKey = new Map<string, TargetRecord>();
  /** Target kinds seen so far; the GraphQL schema needs one object type per kind. */
  readonly kinds = new Set<string>(DEFAULT_TARGET_KINDS);
  /** Bumped when `kinds` grows, so the schema is rebuilt only then. */
  kindsVersion = 0;

  constructor(private readonly clock: MicroClock) {}

  upsertDefinition(input: DefinitionInput): DefinitionRecord {
    if (!input || typeof input.name !== "string" || !input.name) {
      throw new SimError("a definition needs a name");
    }
    if (typeof input.artifactName !== "string" || !input.artifactName) {
      throw new SimError(`definition "${input.name}" needs an artifactName`);
    }
    const existing = (input.id && this.defsById.get(input.id)) || this.defsByName.get(input.name);
    if (existing) {
      this.defsByName.delete(existing.name);
      existing.name = input.name;
      existing.artifactName = input.artifactName;
      if (input.contentType !== undefined) existing.contentType = input.contentType;
      if (input.parameters !== undefined) existing.parameters = input.parameters;
      if (input.description !== undefined) existing.description = input.description;
      existing.updatedAt = this.clock.now();
      this.defsByName.set(existing.name, existing);
      return existing;
    }
    const record: DefinitionRecord = {
      id: input.id ?? randomUUID(),
      name: input.name,
      artifactName: input.artifactName,
      contentType: input.contentType ?? DEFAULT_CONTENT_TYPE,
      parameters: input.parameters ?? {},
      description: input.description ?? null,
      updatedAt: this.clock.now(),
      attrIds: {
        name: randomUUID(),
        artifact_name: randomUUID(),
        description: randomUUID(),
        content_type: randomUUID(),
        parameters: randomUUID(),
        fingerprint: randomUUID(),
      },
    };
    this.defsById.set(record.id, record);
    this.defsByName.set(record.name, record);
    return record;
  }

  /** By id or by name (Infrahub's `get_one_by_id_or_default_filter`). */
  definition(idOrName: string): DefinitionRecord | undefined {
    return this.defsById.get(idOrName) ?? this.defsByName.get(idOrName);
  }

  definitionById(id: string): DefinitionRecord | undefined {
    return this.defsById.get(id);
  }

  definitions(): DefinitionRecord[] {
    return [...this.defsById.values()].sort(
      (a, b) => compare(a.name, b.name) || compare(a.id, b.id),
    );
  }

  target(id: string): TargetRecord | undefined {
    return this.targetsById.get(id);
  }

  /** The target with this id, else with this kind + label; created when unknown. */
  resolveTarget(input: TargetInput): TargetRecord {
    if (!input || typeof input.label !== "string" || !input.label) {
      throw new SimError("an artifact target needs a label");
    }
    const kind = input.kind ?? DEFAULT_TARGET_KIND;
    assertTargetKind(kind);
    const known = input.id
      ? this.targetsById.get(input.id)
      : this.targetsByKey.get(targetKey(kind, input.label));
    if (known) {
      this.targetsByKey.delete(targetKey(known.kind, known.label));
      known.label = input.label;
      known.kind = kind;
      this.targetsByKey.set(targetKey(kind, input.label), known);
      this.noteKind(kind);
      return known;
    }
    const record: TargetRecord = {
      id: input.id ?? randomUUID(),
      label: input.label,
      kind,
      nameAttrId: randomUUID(),
    };
    this.targetsById.set(record.id, record);
    this.targetsByKey.set(targetKey(kind, input.label), record);
    this.noteKind(kind);
    return record;
  }

  private noteKind(kind: string): void {
    if (this.kinds.has(kind)) return;
    this.kinds.add(kind);
    this.kindsVersion++;
  }
}

function targetKey(kind: string, label: string): string {
  return `${kind}\u0000${label}`;
}

/** Plain code-unit order: deterministic and independent of the locale. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
