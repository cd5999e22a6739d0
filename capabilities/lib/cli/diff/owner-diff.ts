import { fromManagedResources, removedFrom } from "../../apply/inventory";
import { ApplyBlockedError } from "../../apply/types";
import type { ObjectPreview, PrunePreview } from "../../apply/preview";
import { refKey } from "../../manifest/ref";
import { ManifestError } from "../../manifest/manifest-error";
import { parseManifest } from "../../manifest/parse";
import { destinationFor, validateForDestination } from "../../sync/apply-target";
import type { Destination, DestinationResolver } from "../../sync/destinations";
import { ownerFieldManager } from "../../sync/markers";
import type { VidraResourceObject } from "../../sync/resources";
import { secretsIn, secretsRefusedMessage } from "../../sync/secret-policy";
import type { OperatorSettings } from "../settings";

type VidraSpec = NonNullable<VidraResourceObject["spec"]>;

/** What applying one manifest as one VidraResource would do on its destination. */
export interface OwnerDiff {
  /** The VidraResource (existing or the one that would be created). */
  owner: string;
  /** Where the manifest comes from, for the heading ("artifact …, target web-01"). */
  source: string;
  /** "this cluster" or the remote server. */
  destination: string;
  objects: ObjectPreview[];
  prune: PrunePreview[];
  /** Things a person should know (suspended, not fetched, …). */
  notes: string[];
  /** The manifest could not be parsed or validated: nothing of it would be applied. */
  error?: string;
}

export interface OwnerDiffInput {
  owner: string;
  source: string;
  manifest: string;
  /** destination, adoption, prune, allowEmpty, deletionPolicy: as the VidraResource would have them. */
  spec: Partial<VidraSpec>;
  /** The VidraResource's inventory (status.managedResources), when it exists. */
  existing?: VidraResourceObject;
  destinations: DestinationResolver;
  settings: OperatorSettings;
  notes?: string[];
}

const where = (d: Destination): string => {
  const place = d.key === "local" ? "this cluster" : d.server;
  return d.identity.user ? `${place} as ${d.identity.description}` : place;
};

/**
 * The VidraResource reconciler's steps up to the first write, for one manifest: parse, validate
 * for the destination, then the engine's preview (reads, conflict policy, server-side dry-run) of
 * the apply, and of the prune of what the inventory has and the manifest no longer does.
 */
export async function diffOwner(input: OwnerDiffInput): Promise<OwnerDiff> {
  const { spec, settings } = input;
  const tenancy = settings.config.tenancy;
  const dest = await destinationFor(input.destinations, input.owner, spec, tenancy);
  const base: OwnerDiff = {
    owner: input.owner,
    source: input.source,
    destination: where(dest),
    objects: [],
    prune: [],
    notes: [...(input.notes ?? [])],
  };
  const previous = fromManagedResources(input.existing?.status?.managedResources);
  let objects;
  try {
    const parsed = parseManifest(input.manifest);
    const secrets = settings.config.refuseSecrets ? secretsIn(parsed) : [];
    if (secrets.length) return { ...base, error: `the manifest ${secretsRefusedMessage(secrets)}` };
    objects = await validateForDestination(parsed, dest, spec, tenancy);
  } catch (err) {
    // Kinds the destination does not serve: each object is named, as the apply would name it.
    if (err instanceof ApplyBlockedError)
      return {
        ...base,
        objects: err.problems.map(p => ({
          ref: p.ref,
          subject: p.subject,
          action: "problem",
          problem: p,
        })),
      };
    if (!(err instanceof ManifestError)) throw err;
    return { ...base, error: err.message };
  }
  if (objects.length === 0 && !spec.allowEmpty && previous.length > 0)
    return {
      ...base,
      error: `the manifest has no objects; the ${previous.length} object(s) applied before would be kept (spec.allowEmpty is false)`,
    };
  const refs = objects.map(o => o.ref);
  const scope = dest.resources
    .as({ name: input.owner, fieldManager: ownerFieldManager(input.owner) })
    .adopting(spec.adoption ?? "Refuse")
    .protecting(settings.protectedNamespaces)
    .knowing(new Set(previous.map(refKey)));
  const previews = await scope.preview(objects);
  const removed = removedFrom(previous, refs);
  if (spec.prune === false && removed.length)
    base.notes.push("spec.prune is false: objects the manifest no longer has are left in place");
  const gone = spec.prune === false ? [] : removed;
  return { ...base, objects: previews, prune: await scope.previewPrune(gone) };
}

/** What deleting a VidraResource would do: its finalizer prunes (or orphans) its inventory. */
export async function diffRemoval(
  vr: VidraResourceObject,
  destinations: DestinationResolver,
  settings: OperatorSettings,
  source: string,
): Promise<OwnerDiff> {
  const refs = fromManagedResources(vr.status?.managedResources);
  const mode = vr.spec?.deletionPolicy === "Orphan" ? "orphan" : "delete";
  const name = vr.metadata.name;
  const dest = await destinationFor(destinations, name, vr.spec ?? {}, settings.config.tenancy);
  const prune = await dest.resources
    .as({ name, fieldManager: ownerFieldManager(name) })
    .previewPrune(refs, mode);
  return {
    owner: name,
    source,
    destination: where(dest),
    objects: [],
    prune,
    notes: [
      `the VidraResource is deleted; its finalizer ${mode === "orphan" ? "orphans" : "prunes"} what it applied`,
    ],
  };
}
