/**
 * The Infrahub simulator: a contract-faithful stand-in for the Infrahub server (auth, GraphQL,
 * stored queries, artifact downloads, time travel, fault injection) for tests, benchmarks and the
 * demo. See README.md.
 */
export { startInfrahubSimulator, SIMULATOR_VERSION } from "./simulator";
export {
  buildInfrahubSchema,
  infrahubSchema,
  infrahubSchemaSdl,
  DEFAULT_TARGET_KINDS,
} from "./schema";
export { VIDRA_ARTIFACT_IDS_QUERY } from "./stored-queries";
export type {
  ArtifactInput,
  ArtifactStatus,
  DefinitionInput,
  InfrahubSimulator,
  RequestLogEntry,
  SimArtifact,
  SimDefinition,
  SimFault,
  SimulatorOptions,
  SimulatorSeed,
  TargetInput,
} from "./types";
export {
  INFRAHUB_DELIVERY,
  infrahubOccurredAt,
  infrahubSignatureHeaders,
  pythonCompactJson,
  type BranchScope,
  type SimWebhook,
  type WebhookDelivery,
  type WebhookDeliveryOptions,
} from "./webhooks";
