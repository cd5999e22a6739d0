import { getCondition } from "../status/conditions";
import { SYNC_LABEL, TARGET_ANNOTATION } from "../sync/markers";
import {
  INFRAHUB_SYNCS_PATH,
  VIDRA_RESOURCES_PATH,
  type InfrahubSyncObject,
  type VidraResourceObject,
} from "../sync/resources";
import { artifactIdOf } from "../sync/vidra-resource-spec";
import type { CliContext } from "./connect";
import { CliError } from "./errors";
import type { Io } from "./io";
import { age, table } from "./table";

export type GetWhat = "all" | "syncs" | "artifacts";

export interface GetArgs {
  what: GetWhat;
  /** Only this sync (and its artifacts). */
  sync?: string;
  now?: Date;
}

const ready = (o: { status?: { conditions?: Parameters<typeof getCondition>[0] } }) =>
  getCondition(o.status?.conditions, "Ready");

/** "3/3 healthy", "1/3 healthy, 2 rolling out", "-" without wait. */
function syncHealth(sync: InfrahubSyncObject, vrs: VidraResourceObject[]): string {
  if (!sync.spec?.wait) return "-";
  const by = (s: string) => vrs.filter(v => v.status?.health?.status === s).length;
  const healthy = by("Healthy");
  const parts = [`${healthy}/${vrs.length} healthy`];
  if (by("Progressing")) parts.push(`${by("Progressing")} rolling out`);
  if (by("Unhealthy")) parts.push(`${by("Unhealthy")} unhealthy`);
  return parts.join(", ");
}

/**
 * `vidra get [syncs|artifacts] [--sync NAME]`: the syncs with their readiness, suspension, branch,
 * artifact count and health, then one row per artifact (its VidraResource), as `flux get` shows
 * sources and kustomizations.
 */
export async function getCommand(ctx: CliContext, args: GetArgs, io: Io): Promise<number> {
  const now = args.now ?? new Date();
  const syncs = (await ctx.kube.list<InfrahubSyncObject>(INFRAHUB_SYNCS_PATH)).items
    .filter(s => !args.sync || s.metadata.name === args.sync)
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  if (args.sync && syncs.length === 0) throw new CliError(`InfrahubSync ${args.sync} not found`);
  const vrs = (
    await ctx.kube.list<VidraResourceObject>(VIDRA_RESOURCES_PATH, {
      ...(args.sync ? { labelSelector: `${SYNC_LABEL}=${args.sync}` } : {}),
    })
  ).items;
  const owned = (s: InfrahubSyncObject) =>
    vrs.filter(v => v.metadata.ownerReferences?.some(o => o.uid === s.metadata.uid));

  if (args.what !== "artifacts") {
    const rows = syncs.map(s => [
      s.metadata.name,
      ready(s)?.status ?? "Unknown",
      String(!!s.spec?.suspend),
      s.spec?.source?.targetBranch || "main",
      String(s.status?.artifactCount ?? owned(s).length),
      syncHealth(s, owned(s)),
      age(s.status?.lastSyncTime, now),
      ready(s)?.message ?? "",
    ]);
    for (const l of table(
      ["SYNC", "READY", "SUSPENDED", "BRANCH", "ARTIFACTS", "HEALTH", "LAST SYNC", "MESSAGE"],
      rows,
    ))
      io.out(l);
  }
  if (args.what === "all") io.out("");
  if (args.what !== "syncs") {
    const rows = syncs.flatMap(s =>
      owned(s)
        .sort((a, b) =>
          (a.metadata.annotations?.[TARGET_ANNOTATION] ?? a.metadata.name).localeCompare(
            b.metadata.annotations?.[TARGET_ANNOTATION] ?? b.metadata.name,
          ),
        )
        .map(v => [
          s.metadata.name,
          v.metadata.annotations?.[TARGET_ANNOTATION] ?? "-",
          artifactIdOf(v),
          (v.spec?.checksum ?? "").slice(0, 8) || "-",
          String(v.status?.managedCount ?? 0),
          ready(v)?.status ?? "Unknown",
          v.spec?.wait ? (v.status?.health?.status ?? "Unknown") : "-",
          ready(v)?.message ?? "",
        ]),
    );
    for (const l of table(
      ["SYNC", "TARGET", "ARTIFACT", "CHECKSUM", "OBJECTS", "READY", "HEALTH", "MESSAGE"],
      rows,
    ))
      io.out(l);
  }
  return 0;
}
