import { normaliseAddress } from "../infrahub/redact";
import type { InfrahubSyncObject } from "../sync/resources";
import { readsLatest } from "../target-date";
import type { ArtifactEvent } from "./artifact-event";

interface Entry {
  address: string | undefined;
  branch: string;
  targetDate?: string;
  suspended: boolean;
  definitionName?: string;
  targetIds?: Set<string>;
  /** Artifacts the sync reported in its status on its last fetch. */
  artifacts: Set<string>;
}

/**
 * Which InfrahubSyncs an artifact event can concern, answered from memory (the watch keeps it
 * current), so an event for an artifact no sync holds costs no request at all. A sync qualifies
 * when it reads the same Infrahub address and branch, reads the latest state (see readsLatest), is
 * not suspended, its GraphQL filters (definitionName, targetIds) admit the artifact, and either:
 * - it already holds that artifact (status.artifacts), or
 * - the artifact is new to it but of a definition it was seen to hold (learnt from earlier events
 *   about its own artifacts), or, before anything was learnt, the event is a creation (a new target
 *   can add an artifact to any sync; the fetch finds out).
 * An update of an artifact a sync does not hold, of a definition it is not known to use, is
 * ignored: the poll would find it anyway if the guess was wrong.
 */
export class PushIndex {
  private readonly syncs = new Map<string, Entry>();
  /** Definition names and ids seen in events about a sync's own artifacts. */
  private readonly definitions = new Map<string, Set<string>>();

  get size(): number {
    return this.syncs.size;
  }

  update(sync: InfrahubSyncObject): void {
    const name = sync.metadata?.name;
    const source = sync.spec?.source;
    if (!name || !source) return;
    let address: string | undefined;
    try {
      address = normaliseAddress(source.infrahubAPIURL ?? "");
    } catch {
      address = undefined;
    }
    const graphql = source.discovery === "GraphQL";
    this.syncs.set(name, {
      address,
      branch: source.targetBranch || "main",
      targetDate: source.targetDate || undefined,
      suspended: !!sync.spec?.suspend || !!sync.metadata.deletionTimestamp,
      definitionName: graphql ? source.definitionName || undefined : undefined,
      targetIds: graphql && source.targetIds?.length ? new Set(source.targetIds) : undefined,
      artifacts: new Set((sync.status?.artifacts ?? []).map(a => a.id)),
    });
  }

  remove(name: string): void {
    this.syncs.delete(name);
    this.definitions.delete(name);
  }

  /** Names of the syncs to fetch for this event from the Infrahub at `address` (normalised). */
  match(address: string, event: ArtifactEvent, now: Date): string[] {
    const names: string[] = [];
    const eventDefinitions = [event.definitionName, event.definitionId].filter(
      (d): d is string => !!d,
    );
    for (const [name, s] of this.syncs) {
      if (s.address !== address || s.branch !== event.branch || s.suspended) continue;
      if (!readsLatest(s.targetDate, now)) continue;
      if (s.definitionName && event.definitionName && s.definitionName !== event.definitionName)
        continue;
      if (s.targetIds && (!event.targetId || !s.targetIds.has(event.targetId))) continue;
      const learnt = this.definitions.get(name);
      if (s.artifacts.has(event.artifactId)) {
        if (eventDefinitions.length) {
          const set = learnt ?? new Set<string>();
          for (const d of eventDefinitions) set.add(d);
          this.definitions.set(name, set);
        }
        names.push(name);
      } else if (s.definitionName || s.targetIds) {
        names.push(name); // the filters above already said yes
      } else if (learnt?.size) {
        if (eventDefinitions.some(d => learnt.has(d))) names.push(name);
      } else if (event.type === "infrahub.artifact.created") {
        names.push(name);
      }
    }
    return names;
  }
}
