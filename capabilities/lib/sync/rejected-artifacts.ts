import type { InfrahubArtifact } from "../infrahub";

/** Why one version of an artifact was refused, and under which settings. */
export interface Rejection {
  /** The checksum (else storage id) of the refused version. */
  version: string;
  /** The sync's generation and operator settings the verdict depends on. */
  context: string;
  /** The problem line shown in status, as it was first written. */
  problem: string;
  why: string;
  target?: string;
}

/**
 * Artifact versions a sync refused (they do not parse, are empty, hold Secrets, are too big), kept
 * until the version or the settings change: the same content would be refused the same way, so it is
 * neither downloaded again nor reported again at every poll. In memory: a restart checks once more.
 */
export class RejectedArtifacts {
  private readonly bySync = new Map<string, Map<string, Rejection>>();

  /** The standing rejection of this version of the artifact, if any. */
  recall(sync: string, artifact: InfrahubArtifact, context: string): Rejection | undefined {
    const r = this.bySync.get(sync)?.get(artifact.id);
    return r && r.version === versionOf(artifact) && r.context === context ? r : undefined;
  }

  remember(sync: string, artifact: InfrahubArtifact, rejection: Omit<Rejection, "version">): void {
    const version = versionOf(artifact);
    if (!version) return; // nothing to recognise it by next time
    const map = this.bySync.get(sync) ?? new Map<string, Rejection>();
    map.set(artifact.id, { ...rejection, version });
    this.bySync.set(sync, map);
  }

  /** Keeps only the rejections of these artifacts (the others were accepted or are gone). */
  retain(sync: string, artifactIds: ReadonlySet<string>): void {
    const map = this.bySync.get(sync);
    if (!map) return;
    for (const id of map.keys()) if (!artifactIds.has(id)) map.delete(id);
    if (map.size === 0) this.bySync.delete(sync);
  }

  forget(sync: string): void {
    this.bySync.delete(sync);
  }
}

function versionOf(a: InfrahubArtifact): string | undefined {
  return a.checksum ?? a.storageId ?? undefined;
}
