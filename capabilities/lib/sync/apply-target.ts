import { unknownKind } from "../apply/engine";
import { ApplyBlockedError } from "../apply/types";
import { scopesDeclaredBy } from "../manifest/declared-scopes";
import type { NormalizedObject, ParsedObject, ResourceScope } from "../manifest/types";
import { validateObjects } from "../manifest/validate";
import { fenceOfSpec, fenceOptions, isOpen, narrowFence } from "../tenancy/fence";
import { applyIdentity } from "../tenancy/identity";
import { secretScope } from "../tenancy/secret-refs";
import type { Destination, DestinationResolver } from "./destinations";
import type { TenancyConfig } from "./operator-config";
import type { VidraResourceObject } from "./resources";

type VidraSpec = NonNullable<VidraResourceObject["spec"]>;

/**
 * Where a VidraResource applies and as whom: its destination, acted on as its identity (its
 * ServiceAccount, the operator's default, or the operator itself), with its Secret references kept
 * to its namespace when so configured. Shared by the reconciler and `vidra diff`, so a preview
 * sees what the apply would.
 */
export function destinationFor(
  destinations: DestinationResolver,
  name: string,
  spec: VidraSpec,
  tenancy: TenancyConfig,
): Promise<Destination> {
  return destinations.resolve(spec.destination, name, {
    identity: applyIdentity(spec, tenancy),
    scope: secretScope(spec, tenancy.allowCrossNamespaceSecretRefs),
  });
}

/**
 * A manifest's objects validated for one destination: the scope of each kind comes from the
 * destination's discovery, or from CRDs in the manifest itself; namespaced objects without a
 * namespace get the destination's (else "default"); every object must lie inside the operator's
 * fence narrowed by spec.fence; objects of kinds the destination does not serve (nor the manifest
 * defines) block the whole set as UnknownKind (ApplyBlockedError), after the manifest's own problems.
 */
export async function validateForDestination(
  parsed: ParsedObject[],
  dest: Pick<Destination, "mapper">,
  spec: VidraSpec,
  tenancy: TenancyConfig,
): Promise<NormalizedObject[]> {
  const scopes = new Map<string, ResourceScope | undefined>(scopesDeclaredBy(parsed));
  const wanted = [...new Set(parsed.map(p => `${p.object.apiVersion}\u0000${p.object.kind}`))];
  for (const w of wanted) {
    const [apiVersion, kind] = w.split("\u0000");
    if (scopes.has(`${apiVersion}/${kind}`)) continue;
    const info = await dest.mapper.resolve(apiVersion, kind);
    scopes.set(
      `${apiVersion}/${kind}`,
      info ? (info.namespaced ? "Namespaced" : "Cluster") : undefined,
    );
  }
  const global = tenancy.fence;
  const own = fenceOfSpec(spec.fence);
  const origin = own
    ? isOpen(global)
      ? "spec.fence"
      : "the operator's fence narrowed by spec.fence"
    : "the operator's fence";
  // Kinds the destination does not serve are checked as namespaced, so the manifest's own
  // problems come first (InvalidManifest); what is left waits for the kind (UnknownKind).
  const { objects } = validateObjects(parsed, {
    defaultNamespace: spec.destination?.namespace || "default",
    scopeOf: (av, k) => scopes.get(`${av}/${k}`) ?? "Namespaced",
    ...fenceOptions(narrowFence(global, own), origin),
  });
  const missing = objects.filter(o => !scopes.get(`${o.ref.apiVersion}/${o.ref.kind}`));
  if (missing.length) throw new ApplyBlockedError(missing.map(unknownKind));
  return objects;
}
