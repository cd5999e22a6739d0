/** Manifest handling: parse an artifact, validate it against a destination, order it for apply. */
export { parseManifest, DEFAULT_PARSE_LIMITS } from "./parse";
export type { ParseOptions } from "./parse";
export { validateObjects } from "./validate";
export { assumedScope, checkWithoutCluster } from "./offline-check";
export type { ValidateOptions, ValidationResult } from "./validate";
export { formatRef, refKey, splitApiVersion } from "./ref";
export {
  applyRank,
  compareForApply,
  isFoundation,
  sortForApply,
  sortForDelete,
  stagesForApply,
} from "./order";
export type { OrderRef } from "./order";
export { ManifestError, formatProblem } from "./manifest-error";
export type { ManifestProblem } from "./manifest-error";
export type {
  KubeMetadata,
  KubeObject,
  NormalizedObject,
  ObjectRef,
  ParsedObject,
  ResourceScope,
  ScopeOf,
  SourceLocation,
} from "./types";
