import type { CliContext } from "../connect";
import { CliError } from "../errors";
import type { Io } from "../io";
import { loadSettings } from "../settings";
import { diffFile } from "./file-diff";
import type { OwnerDiff } from "./owner-diff";
import { emptyTotals, exitCodeOf, renderOwner, summary } from "./render";
import { diffSync } from "./sync-diff";

export interface DiffArgs {
  sync?: string;
  file?: string;
  as?: string;
  namespace?: string;
  adoption?: string;
  /** Where the operator runs: its app=vidra ConfigMaps hold the settings the preview follows. */
  operatorNamespace: string;
}

/**
 * `vidra diff <sync>` or `vidra diff -f <manifest>`: what applying now would change, by the
 * engine's own dry-run. Exit codes as kubectl diff: 0 no changes, 1 changes, 2 an error (also:
 * objects that cannot be applied).
 */
export async function diffCommand(ctx: CliContext, args: DiffArgs, io: Io): Promise<number> {
  if (!!args.sync === !!args.file)
    throw new CliError("give an InfrahubSync name or -f <manifest file>, not both");
  if (args.adoption && args.adoption !== "Refuse" && args.adoption !== "Adopt")
    throw new CliError(`--adoption must be Refuse or Adopt, not ${args.adoption}`);
  const settings = await loadSettings(ctx.kube, args.operatorNamespace);
  for (const w of settings.warnings) io.err(`warning: ${w}`);
  let owners: OwnerDiff[];
  let notes: string[] = [];
  if (args.sync) {
    if (args.as || args.namespace || args.adoption)
      throw new CliError("--as, --namespace and --adoption go with -f only");
    const d = await diffSync(
      {
        kube: ctx.kube,
        infrahub: ctx.infrahub,
        destinations: ctx.destinations,
        settings,
      },
      args.sync,
    );
    owners = d.owners;
    notes = d.notes;
    io.out(`InfrahubSync ${d.sync}: ${owners.length} VidraResource(s)`);
  } else {
    owners = [
      await diffFile(
        { ...ctx, settings },
        {
          file: args.file!,
          as: args.as,
          namespace: args.namespace,
          adoption: args.adoption as "Refuse" | "Adopt" | undefined,
        },
      ),
    ];
  }
  for (const n of notes) io.out(`note: ${n}`);
  const totals = emptyTotals();
  for (const d of owners) for (const line of renderOwner(d, totals)) io.out(line);
  io.out(summary(totals));
  return exitCodeOf(totals);
}
