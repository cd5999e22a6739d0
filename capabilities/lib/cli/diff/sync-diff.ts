import { mapSettledLimit } from "../../concurrency";
import type { InfrahubArtifact, InfrahubClientRegistry } from "../../infrahub";
import type { KubeClient } from "../../kube/client";
import { lookupArtifacts } from "../../sync/artifact-lookup";
import type { DestinationResolver } from "../../sync/destinations";
import { SYNC_LABEL, TARGET_ANNOTATION } from "../../sync/markers";
import {
  infrahubSyncPath,
  VIDRA_RESOURCES_PATH,
  type InfrahubSyncObject,
  type VidraResourceObject,
} from "../../sync/resources";
import {
  artifactIdOf,
  collisionFreeName,
  desiredPolicy,
  holds,
} from "../../sync/vidra-resource-spec";
import { secretScope } from "../../tenancy/secret-refs";
import { CliError } from "../errors";
import type { OperatorSettings } from "../settings";
import { diffOwner, diffRemoval, type OwnerDiff } from "./owner-diff";

export interface SyncDiffDeps {
  kube: KubeClient;
  infrahub: InfrahubClientRegistry;
  destinations: DestinationResolver;
  settings: OperatorSettings;
  now?: () => Date;
}

export interface SyncDiff {
  sync: string;
  owners: OwnerDiff[];
  /** About the sync as a whole (suspended, a suspicious empty answer, artifacts not ready). */
  notes: string[];
}

/** The VidraResources of this incarnation of the sync (label, then owner uid), as the operator finds them. */
export async function ownedResources(
  kube: KubeClient,
  sync: InfrahubSyncObject,
): Promise<VidraResourceObject[]> {
  const list = await kube.list<VidraResourceObject>(VIDRA_RESOURCES_PATH, {
    labelSelector: `${SYNC_LABEL}=${sync.metadata.name}`,
  });
  return list.items.filter(vr =>
    vr.metadata.ownerReferences?.some(o => o.uid === sync.metadata.uid),
  );
}

function describe(a: InfrahubArtifact, vr?: VidraResourceObject): string {
  const target = a.targetLabel ?? vr?.metadata.annotations?.[TARGET_ANNOTATION];
  return `artifact ${a.id}${target ? `, target ${target}` : ""}`;
}

/**
 * What a sync now would change: the sync's artifacts are looked up and downloaded from Infrahub
 * as the operator does (an artifact whose checksum its VidraResource already holds is not
 * downloaded again), and each is previewed as its VidraResource would apply it; VidraResources of
 * artifacts Infrahub no longer has are previewed as deleted. Nothing is written anywhere.
 */
export async function diffSync(deps: SyncDiffDeps, name: string): Promise<SyncDiff> {
  const sync = await deps.kube.getOptional<InfrahubSyncObject>(infrahubSyncPath(name));
  if (!sync) throw new CliError(`InfrahubSync ${name} not found`);
  if (!sync.spec?.source) throw new CliError(`InfrahubSync ${name} has no spec.source`);
  const notes: string[] = [];
  if (sync.spec.suspend)
    notes.push("the sync is suspended: nothing below is applied until it is resumed");
  const lookup = await lookupArtifacts(
    {
      kube: deps.kube,
      infrahub: deps.infrahub,
      queryName: deps.settings.config.queryName,
      secretScope: secretScope(
        sync.spec,
        deps.settings.config.tenancy.allowCrossNamespaceSecretRefs,
      ),
    },
    sync,
    (deps.now ?? (() => new Date()))(),
  );
  const existing = await ownedResources(deps.kube, sync);
  const byArtifact = new Map(existing.map(vr => [artifactIdOf(vr), vr]));
  for (const n of lookup.result.notReady)
    notes.push(
      `${describe(n.artifact, byArtifact.get(n.artifact.id))} is not ready (${n.reason}); its previous version stays applied`,
    );
  const spec = desiredPolicy(sync) as Parameters<typeof diffOwner>[0]["spec"];
  const ready = lookup.result.ready;
  const results = await mapSettledLimit(ready, 4, async artifact => {
    const vr = byArtifact.get(artifact.id);
    const manifest = holds(vr, artifact.checksum, sync)
      ? (vr!.spec?.manifest ?? "")
      : await lookup.client.downloadArtifact(artifact, { branch: lookup.branch, at: lookup.at });
    const owner = vr?.metadata.name ?? (await collisionFreeName(deps.kube, artifact.id, sync));
    return diffOwner({
      owner,
      source: describe(artifact, vr),
      manifest,
      spec,
      existing: vr,
      destinations: deps.destinations,
      settings: deps.settings,
      notes:
        vr?.spec?.suspend && !sync.spec!.suspend
          ? ["this VidraResource is suspended: nothing is applied until it is resumed"]
          : [],
    });
  });
  const owners = results.map(r => {
    if (r.status === "rejected") throw r.reason;
    return r.value;
  });
  const found = new Set([...ready, ...lookup.result.notReady.map(n => n.artifact)].map(a => a.id));
  const gone = existing.filter(vr => !found.has(artifactIdOf(vr)));
  if (found.size === 0 && existing.length > 0 && !sync.spec.allowEmpty) {
    notes.push(
      `Infrahub returned no artifact named ${sync.spec.source.artefactName}: the operator keeps the ${existing.length} VidraResource(s) and their objects (spec.allowEmpty is false)`,
    );
  } else {
    for (const vr of gone)
      owners.push(
        await diffRemoval(
          vr,
          deps.destinations,
          deps.settings,
          `artifact ${artifactIdOf(vr)} is no longer in Infrahub`,
        ),
      );
  }
  return { sync: name, owners, notes };
}
