import type { ArtifactState, ArtifactStore, DefinitionRecord } from "./artifact-store";
import { formatMicros } from "./clock";
import type { SimArtifact, SimDefinition } from "./types";

/** The handle's view of an artifact version: names resolved, content read from storage. */
export function toSimArtifact(store: ArtifactStore, a: ArtifactState): SimArtifact {
  const def = store.definition(a.definitionId);
  const target = store.target(a.targetId);
  return {
    id: a.id,
    name: a.name,
    definitionName: def?.name ?? "",
    targetId: a.targetId,
    targetLabel: target?.label ?? "",
    targetKind: target?.kind ?? "",
    status: a.status,
    contentType: a.contentType,
    checksum: a.checksum,
    storageId: a.storageId,
    content: a.storageId === null ? null : (store.readContent(a.storageId) ?? null),
    updatedAt: formatMicros(a.updatedAt),
  };
}

export function toSimDefinition(d: DefinitionRecord): SimDefinition {
  return {
    id: d.id,
    name: d.name,
    artifactName: d.artifactName,
    contentType: d.contentType,
    parameters: d.parameters,
  };
}
