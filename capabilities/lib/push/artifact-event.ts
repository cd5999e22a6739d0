/**
 * The body of an Infrahub webhook (CoreStandardWebhook / CoreCustomWebhook without a transform):
 * `{"data": {...}, "id", "branch", "account_id", "occured_at", "event"}` (sic: `occured_at`).
 * Only artifact events lead anywhere; the content is a hint of what may have changed, never used
 * as data: the sync fetches and verifies the artifact itself.
 */

export const ARTIFACT_EVENTS = ["infrahub.artifact.created", "infrahub.artifact.updated"] as const;
export type ArtifactEventType = (typeof ARTIFACT_EVENTS)[number];

export interface ArtifactEvent {
  /** Infrahub's event id (the same on every delivery attempt of one event). */
  id: string;
  type: ArtifactEventType;
  branch: string;
  /** `data.node_id`. */
  artifactId: string;
  definitionId?: string;
  definitionName?: string;
  targetId?: string;
  checksum?: string;
  occurredAt?: string;
}

export type ParsedWebhook =
  | { kind: "artifact"; event: ArtifactEvent }
  | { kind: "other"; id: string; type: string };

/** The body is not what Infrahub sends. Answered 400. */
export class MalformedWebhookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedWebhookError";
  }
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const optionalString = (v: unknown): string | undefined =>
  typeof v === "string" && v !== "" ? v : undefined;

function requiredString(obj: Json, key: string, where: string): string {
  const v = obj[key];
  if (typeof v !== "string" || v === "")
    throw new MalformedWebhookError(`${where}${key} must be a non-empty string`);
  return v;
}

/** @throws MalformedWebhookError */
export function parseWebhookBody(body: Buffer): ParsedWebhook {
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    throw new MalformedWebhookError("the body is not JSON");
  }
  if (!isObject(value)) throw new MalformedWebhookError("the body is not a JSON object");
  const id = requiredString(value, "id", "");
  const type = requiredString(value, "event", "");
  if (!(ARTIFACT_EVENTS as readonly string[]).includes(type)) return { kind: "other", id, type };
  const data = value.data;
  if (!isObject(data)) throw new MalformedWebhookError("data must be an object");
  return {
    kind: "artifact",
    event: {
      id,
      type: type as ArtifactEventType,
      branch: requiredString(value, "branch", ""),
      artifactId: requiredString(data, "node_id", "data."),
      definitionId: optionalString(data.artifact_definition_id),
      definitionName: optionalString(data.artifact_definition_name),
      targetId: optionalString(data.target_id),
      checksum: optionalString(data.checksum),
      occurredAt: optionalString(value.occured_at),
    },
  };
}
