import { OperatorError } from "../errors";
import { splitApiVersion } from "../manifest/ref";
import type { ParsedObject } from "../manifest/types";

/** The Secrets of a parsed manifest, as "Secret/<namespace>/<name>" (namespace as written). */
export function secretsIn(objects: readonly ParsedObject[]): string[] {
  return objects
    .filter(p => p.object.kind === "Secret" && splitApiVersion(p.object.apiVersion).group === "")
    .map(p =>
      ["Secret", p.object.metadata?.namespace, p.object.metadata?.name].filter(Boolean).join("/"),
    );
}

export function secretsRefusedMessage(secrets: readonly string[]): string {
  const shown = secrets.slice(0, 5).join(", ") + (secrets.length > 5 ? ", …" : "");
  return `holds ${secrets.length} Secret(s) (${shown}) and the operator's refuseSecrets setting is on: Secret data would be stored in a VidraResource, which encryption at rest for Secrets does not cover; deliver Secrets another way (e.g. an external secrets operator) or turn refuseSecrets off`;
}

/** A VidraResource holding Secrets while refuseSecrets is on: nothing is applied until it changes. */
export class SecretsRefusedError extends OperatorError {
  constructor(secrets: readonly string[]) {
    super(`the manifest ${secretsRefusedMessage(secrets)}`, {
      reason: "SecretsRefused",
      retryable: false,
    });
  }
}
