import { getCondition } from "../status/conditions";
import { SYNC_NOW_ANNOTATION } from "../sync/markers";
import {
  infrahubSyncPath,
  vidraResourcePath,
  type InfrahubSyncObject,
  type VidraResourceObject,
} from "../sync/resources";
import { syncReadiness } from "../sync/sync-readiness";
import type { CliContext } from "./connect";
import { ownedResources } from "./diff/sync-diff";
import { CliError } from "./errors";
import type { Io } from "./io";

export interface ReconcileArgs {
  sync: string;
  timeoutMs: number;
  pollMs?: number;
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/**
 * `vidra reconcile <sync>`: sync now and wait for the result, as `flux reconcile` does. The request
 * is the sync-now annotation with the time as its value (Flux: reconcile.fluxcd.io/requestedAt); the
 * operator reports each request it acted on in status.lastHandledSyncRequest, on the sync (after
 * fetching from Infrahub) and on each VidraResource (after a full apply, prune and health pass).
 * Exit 0 when the sync ends Ready, 1 when it does not (a failure, or the timeout), 2 on an error.
 */
export async function reconcileCommand(
  ctx: CliContext,
  args: ReconcileArgs,
  io: Io,
): Promise<number> {
  const deadline = Date.now() + args.timeoutMs;
  const poll = args.pollMs ?? 1000;
  const path = infrahubSyncPath(args.sync);
  const first = await ctx.kube.getOptional<InfrahubSyncObject>(path);
  if (!first) throw new CliError(`InfrahubSync ${args.sync} not found`);
  if (first.spec?.suspend)
    throw new CliError(
      `InfrahubSync ${args.sync} is suspended; resume it first (spec.suspend: false)`,
    );
  const request = new Date().toISOString();
  const annotate = (p: string) =>
    ctx.kube.mergePatch(p, { metadata: { annotations: { [SYNC_NOW_ANNOTATION]: request } } });

  io.out(`► annotating InfrahubSync ${args.sync} with ${SYNC_NOW_ANNOTATION}=${request}`);
  await annotate(path);
  io.out("◎ waiting for the sync to fetch from Infrahub");
  const waitFor = async <T>(read: () => Promise<T | undefined>, what: string): Promise<T> => {
    for (;;) {
      const v = await read();
      if (v !== undefined) return v;
      if (Date.now() >= deadline) throw new TimeoutError(what);
      await sleep(poll);
    }
  };
  try {
    const fetched = await waitFor(async () => {
      const s = await ctx.kube.getOptional<InfrahubSyncObject>(path);
      if (!s) throw new CliError(`InfrahubSync ${args.sync} was deleted`);
      return s.status?.lastHandledSyncRequest === request ? s : undefined;
    }, "the sync to fetch");
    const sready = getCondition(fetched.status?.conditions, "Ready");
    if (fetched.status?.syncState === "Failed" || sready?.reason === "Suspended") {
      io.out(`✗ fetch failed: ${sready?.message ?? fetched.status?.lastError ?? ""}`);
      return 1;
    }
    io.out(
      `✔ fetched ${fetched.status?.artifactCount ?? 0} artifact(s) from branch ${fetched.spec?.source?.targetBranch || "main"}${fetched.status?.lastSyncTrigger ? ` (last change by ${fetched.status.lastSyncTrigger})` : ""}`,
    );

    const resources = (await ownedResources(ctx.kube, fetched)).filter(v => !v.spec?.suspend);
    for (const vr of resources) await annotate(vidraResourcePath(vr.metadata.name));
    io.out(`◎ waiting for ${resources.length} VidraResource(s) to apply`);
    await waitFor(async () => {
      const now = await ownedResources(ctx.kube, fetched);
      const pending = now.filter(
        v => !v.spec?.suspend && v.status?.lastHandledSyncRequest !== request,
      );
      return pending.length === 0 ? true : undefined;
    }, "the VidraResources to apply");
    io.out(`✔ applied`);

    if (fetched.spec?.wait) io.out("◎ waiting for the applied objects to become healthy");
    const outcome = await waitFor(async () => {
      const s = (await ctx.kube.getOptional<InfrahubSyncObject>(path)) ?? fetched;
      const vrs: VidraResourceObject[] = await ownedResources(ctx.kube, s);
      const c = getCondition(syncReadiness(s, vrs, [], new Date()), "Ready");
      return c && c.status !== "Unknown" ? c : undefined;
    }, "the sync to become Ready");
    if (outcome.status === "True") {
      io.out(`✔ InfrahubSync ${args.sync} is Ready: ${outcome.message}`);
      return 0;
    }
    io.out(`✗ InfrahubSync ${args.sync} is not Ready (${outcome.reason}): ${outcome.message}`);
    return 1;
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    io.out(`✗ timed out after ${Math.round(args.timeoutMs / 1000)}s waiting for ${err.message}`);
    return 1;
  }
}

class TimeoutError extends Error {}
