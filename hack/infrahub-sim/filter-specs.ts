import type { ArtifactState, ArtifactStore, DefinitionRecord } from "./artifact-store";
import { EMPTY_GROUP_RELATION, type FilterSpec } from "./filters";

/** How each CoreArtifact / CoreArtifactDefinition filter argument reads a node. */
export function artifactFilterSpec(store: ArtifactStore): FilterSpec<ArtifactState> {
  const def = (a: ArtifactState) => store.definition(a.definitionId);
  return {
    attrs: {
      display_label: a => a.name,
      name: a => a.name,
      status: a => a.status,
      content_type: a => a.contentType,
      checksum: a => a.checksum,
      storage_id: a => a.storageId,
      parameters: () => null,
    },
    textAttrs: ["name", "status", "content_type", "checksum", "storage_id"],
    rels: {
      object: { id: a => a.targetId, attrs: {} },
      definition: {
        id: a => a.definitionId,
        attrs: {
          display_label: a => def(a)?.name,
          name: a => def(a)?.name,
          artifact_name: a => def(a)?.artifactName,
          description: a => def(a)?.description,
          content_type: a => def(a)?.contentType,
          parameters: a => def(a)?.parameters,
          fingerprint: () => null,
        },
      },
      member_of_groups: EMPTY_GROUP_RELATION,
      subscriber_of_groups: EMPTY_GROUP_RELATION,
    },
  };
}

export function definitionFilterSpec(): FilterSpec<DefinitionRecord> {
  return {
    attrs: {
      display_label: d => d.name,
      name: d => d.name,
      artifact_name: d => d.artifactName,
      description: d => d.description,
      content_type: d => d.contentType,
      parameters: d => d.parameters,
      fingerprint: () => null,
    },
    textAttrs: ["name", "artifact_name", "description", "content_type"],
    rels: { member_of_groups: EMPTY_GROUP_RELATION, subscriber_of_groups: EMPTY_GROUP_RELATION },
  };
}
