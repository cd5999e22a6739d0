import { errorMessage, OperatorError } from "../errors";
import type { KubeClient, KubeObject } from "../kube/client";
import { resourcePath } from "../kube/client";
import type { ResourceInfo, ResourceMapper } from "../kube/discovery";
import { KubeApiError } from "../kube/errors";
import { formatRef } from "../manifest/ref";
import type { NormalizedObject, ObjectRef } from "../manifest/types";
import type { ObjectProblem } from "./types";

/** What every verb of the engine works with: one cluster's client, its discovery, a bound on requests in flight. */
export interface Engine {
  kube: KubeClient;
  mapper: ResourceMapper;
  concurrency: number;
}

export function objectPath(info: ResourceInfo, ref: ObjectRef): string {
  return resourcePath({
    group: info.group,
    version: info.version,
    plural: info.plural,
    namespace: info.namespaced ? ref.namespace : undefined,
    name: ref.name,
  });
}

/** A LIST item lacks apiVersion/kind; comparisons with dry-run results need them. */
export function withTypeOf(info: ResourceInfo, o: KubeObject): KubeObject {
  return {
    apiVersion: `${info.group ? `${info.group}/` : ""}${info.version}`,
    kind: info.kind,
    ...o,
  };
}

/** JSON Pointer escaping of one path segment (RFC 6901). */
export function pointerSegment(s: string): string {
  return s.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * A server-side apply meant for an object that exists. An apply creates an object that is gone,
 * even with a resourceVersion precondition, so when the answer names another object (uid) than the
 * one read, that accidental object is deleted again (only as created: a write by anyone since
 * keeps it) and undefined is returned.
 */
export async function applyToExisting(
  engine: Engine,
  path: string,
  body: KubeObject,
  opts: { fieldManager: string; force?: boolean },
  uid: string | undefined,
): Promise<KubeObject | undefined> {
  const after = await engine.kube.apply<KubeObject>(path, body, opts);
  if (!uid || after?.metadata?.uid === uid) return after;
  await engine.kube
    .delete(path, {
      uid: after?.metadata?.uid,
      resourceVersion: after?.metadata?.resourceVersion,
    })
    .catch(() => undefined);
  return undefined;
}

export const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms));

/** An object that is being deleted cannot be applied until it is gone; trying later can. */
export class BeingDeletedError extends OperatorError {
  constructor(subject: string) {
    super(`${subject} is being deleted; it is applied again once it is gone`, {
      reason: "ObjectBeingDeleted",
      retryable: true,
    });
  }
}

/** The API server refuses writes into a namespace that is being deleted with this 403. */
function isNamespaceTerminating(err: KubeApiError): boolean {
  return (
    err.causes.some(c => c.reason === "NamespaceTerminating") ||
    /namespace \S+ is being terminated|because it is being terminated/.test(err.message)
  );
}

export function problemFor(obj: NormalizedObject, err: unknown): ObjectProblem {
  const subject = formatRef(obj.ref);
  if (err instanceof KubeApiError) {
    const kind =
      err.status === 403 && isNamespaceTerminating(err)
        ? "namespace-terminating"
        : err.status === 403
          ? "forbidden"
          : err.status === 409
            ? "conflict"
            : "invalid";
    return { ref: obj.ref, subject, kind, message: serverDetail(err) };
  }
  return { ref: obj.ref, subject, kind: "invalid", message: errorMessage(err) };
}

/**
 * What the API server said about one object, in its own words: the field-level causes when it gave
 * them, else its message. No request line (the subject already names the object).
 */
export function serverDetail(err: KubeApiError): string {
  const detail = err.causes.length
    ? err.causes.map(c => [c.field, c.message].filter(Boolean).join(": ")).join("; ")
    : (err.serverMessage ?? `HTTP ${err.status}`);
  return detail.replace(/\s+/g, " ").trim();
}

export function unknownKind(obj: NormalizedObject): ObjectProblem {
  return {
    ref: obj.ref,
    subject: formatRef(obj.ref),
    kind: "unknown-kind",
    message: `the cluster serves no kind ${obj.ref.kind} in ${obj.ref.apiVersion}: install its CustomResourceDefinition, or fix apiVersion and kind`,
  };
}
