import type { InfrahubArtifact } from "./types";

/**
 * Reading CoreArtifact nodes, tolerant of what a user's stored query selects.
 *
 * Vidra's default `ArtifactIDs` query selects `storage_id { id }`. In real Infrahub every attribute
 * object has an `id` of its own (the attribute's id), so that is NOT the object-store id, and it is
 * never used as one here. Only `storage_id.value` is a storage id. When a stored query does not
 * select `storage_id.value`, the content is downloaded by artifact id (`/api/artifact/{id}`), which
 * Infrahub resolves to the current storage object itself.
 */

export type ArtifactSource = "stored-query" | "graphql";

/** Why an artifact is listed but not downloadable, or undefined when it can be downloaded. */
export type Readiness = { ready: true } | { ready: false; reason: string };

interface AttributeRead {
  /** The query selected `<attr> { value }`. */
  selected: boolean;
  value: string | null;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function attribute(node: Record<string, unknown>, key: string): AttributeRead {
  const attr = record(node[key]);
  if (attr === undefined || !("value" in attr)) return { selected: false, value: null };
  const value = attr.value;
  return { selected: true, value: typeof value === "string" && value !== "" ? value : null };
}

function peer(node: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  return record(record(node[key])?.node);
}

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

/** A parsed node plus what the query did and did not select. */
export interface ParsedArtifact {
  artifact: InfrahubArtifact;
  storageIdSelected: boolean;
}

/** Parses one `edges[].node`; a node without a string `id` gives undefined. */
export function parseArtifactNode(node: unknown): ParsedArtifact | undefined {
  const n = record(node);
  const id = text(n?.id);
  if (n === undefined || id === null) return undefined;
  const status = attribute(n, "status");
  const storageId = attribute(n, "storage_id");
  const target = peer(n, "object");
  const definition = peer(n, "definition");
  return {
    artifact: {
      id,
      name: attribute(n, "name").value ?? text(n.display_label),
      status: status.value,
      contentType: attribute(n, "content_type").value,
      checksum: attribute(n, "checksum").value?.toLowerCase() ?? null,
      storageId: storageId.value,
      targetId: text(target?.id),
      targetLabel: text(target?.display_label),
      definitionName: definition ? attribute(definition, "name").value : null,
    },
    storageIdSelected: storageId.selected,
  };
}

/**
 * Whether the content can be downloaded now. A status other than `Ready` is reported; in a stored
 * query's answer a missing status means Ready (Vidra's query does not select it). An artifact
 * whose `storage_id.value` is known to be empty has no content yet; when it was not selected, the
 * download goes by artifact id.
 */
export function readiness(parsed: ParsedArtifact, source: ArtifactSource): Readiness {
  const { artifact } = parsed;
  if (artifact.status !== null && artifact.status !== "Ready") {
    return { ready: false, reason: `its status in Infrahub is ${artifact.status}, not Ready` };
  }
  if (artifact.status === null && source === "graphql") {
    return { ready: false, reason: "Infrahub reports no status for it" };
  }
  if (artifact.storageId === null && (source === "graphql" || parsed.storageIdSelected)) {
    return {
      ready: false,
      reason: "Infrahub has no stored content for it yet (storage_id is empty)",
    };
  }
  return { ready: true };
}
