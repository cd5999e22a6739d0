import { errorMessage } from "../errors";
import { checkWithoutCluster, ManifestError, validateObjects } from "../manifest";
import { sharedParses } from "../manifest/parse-cache";
import { builtinScope } from "../manifest/builtin-scopes";
import { scopesDeclaredBy } from "../manifest/declared-scopes";
import type { ParsedObject } from "../manifest/types";
import { fenceOptions, isOpen, type Fence } from "../tenancy/fence";
import type { Problems } from "./problems";

/**
 * etcd refuses values over 1.5 MiB (the whole object, status included); say so before the API server
 * does, in words, with room left for metadata and status.
 */
export const MAX_MANIFEST_BYTES = 1_400_000;

/**
 * The manifest is parsed and its objects checked here, with the same code the reconciler runs, so a
 * person sees "document 3, Deployment/web: …" from kubectl instead of in status later. This is pure
 * and bounded: the size limit above, and the parser's limits on documents, nodes, depth and aliases
 * (a YAML bomb fails fast); about 0.1-0.3 s for a manifest at the size limit. What needs the
 * destination cluster (whether a kind exists, a server-side dry run) stays with the reconciler;
 * kinds are placed by Kubernetes' built-in scopes and the destination namespace (checkWithoutCluster),
 * which adds no problem the reconciler would not find.
 */
export function checkManifest(
  p: Problems,
  field: string,
  manifest: unknown,
  allowEmpty: boolean,
  defaultNamespace?: string,
  fence?: Fence,
): void {
  if (manifest !== undefined && manifest !== null && typeof manifest !== "string") {
    return p.add(field, "must be a string holding YAML or JSON");
  }
  const text = manifest ?? "";
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_MANIFEST_BYTES) {
    return p.add(
      field,
      `is ${bytes} bytes, over the limit of ${MAX_MANIFEST_BYTES} bytes (etcd stores at most 1.5 MiB per object): ` +
        "split the artifact into several smaller ones",
    );
  }
  let count: number;
  try {
    const objects = sharedParses.parse(text, { maxBytes: MAX_MANIFEST_BYTES });
    checkWithoutCluster(objects, defaultNamespace);
    count = objects.length;
    if (fence && !isOpen(fence)) checkFence(objects, fence, defaultNamespace);
  } catch (err) {
    if (!(err instanceof ManifestError))
      return p.add(field, `could not be read: ${errorMessage(err)}`);
    // Whole-manifest problems read "manifest has …"; the field path already names it.
    for (const line of err.problems)
      p.add(field, line.replace(/^manifest /, "").replace(/;/g, ","));
    if (err.omitted > 0) p.add(field, `has ${err.omitted} more problem(s) not listed here`);
    return;
  }
  if (count === 0 && !allowEmpty) {
    p.add(
      field,
      "has no Kubernetes objects (it is empty or only comments): add at least one object, or set spec.allowEmpty: true " +
        "if an empty manifest is meant (it prunes every object this resource applied)",
    );
  }
}

/**
 * The resource's own fence, on the objects whose scope is known without a cluster (built-in kinds,
 * and kinds of CRDs in the same manifest); custom kinds are checked at apply time, against the
 * destination's discovery and the operator's fence as well.
 */
function checkFence(objects: ParsedObject[], fence: Fence, defaultNamespace?: string): void {
  const declared = scopesDeclaredBy(objects);
  const scopeOf = (apiVersion: string, kind: string) =>
    builtinScope(apiVersion, kind) ?? declared.get(`${apiVersion}/${kind}`);
  const known = objects.filter(o => scopeOf(o.object.apiVersion, o.object.kind) !== undefined);
  validateObjects(known, {
    scopeOf,
    defaultNamespace: defaultNamespace || "default",
    ...fenceOptions(fence, "spec.fence"),
  });
}
