/**
 * Kubernetes object shapes shared by manifest parsing, validation, ordering and the apply/prune code.
 * These are the minimum every object has; everything else stays `unknown` until a consumer checks it.
 */

/** Object metadata as it appears in a manifest. */
export interface KubeMetadata {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

/** One Kubernetes object as written in a manifest (never a List: parsing expands those). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeMetadata;
  [k: string]: unknown;
}

/** Where an object came from in the manifest, so a person can find it. */
export interface SourceLocation {
  /** 1-based position of the YAML document (or of the element of a top-level JSON array). */
  document: number;
  /** 1-based position inside a `List` (or any `*List` with `items`), when the object came from one. */
  item?: number;
}

/** An object read from a manifest, with its location. */
export interface ParsedObject extends SourceLocation {
  object: KubeObject;
}

/** The identity of an object on a cluster. `group` is "" for the core group. */
export interface ObjectRef {
  apiVersion: string;
  group: string;
  version: string;
  kind: string;
  /** Absent for cluster-scoped objects. */
  namespace?: string;
  name: string;
}

/** An object that passed validation: namespace defaulted or dropped according to its scope. */
export interface NormalizedObject {
  ref: ObjectRef;
  object: KubeObject;
  source: SourceLocation;
}

/** Whether a kind is namespaced, as discovery on the destination cluster reports it. */
export type ResourceScope = "Namespaced" | "Cluster";

/** Looks a kind up on the destination cluster; `undefined` when the cluster does not serve it. */
export type ScopeOf = (apiVersion: string, kind: string) => ResourceScope | undefined;
