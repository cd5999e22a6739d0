import { parseArgs } from "node:util";
import { parseDuration } from "../duration";
import { errorMessage } from "../errors";
import { DEFAULT_OPERATOR_NAMESPACE, operatorNamespace } from "../tenancy/operator-namespace";
import { connect, type CliContext, type ClusterFlags } from "./connect";
import { diffCommand } from "./diff/diff-command";
import { CliError } from "./errors";
import { getCommand, type GetWhat } from "./get-command";
import { processIo, type Io } from "./io";
import { reconcileCommand } from "./reconcile-command";

export const USAGE = `usage: vidra <command> [options]

  vidra diff <sync>                  what a sync now would change: artifacts fetched from Infrahub,
                                     dry-run on their destinations (exit 0 none, 1 changes, 2 error)
  vidra diff -f <manifest> [--as <vidraresource>] [--namespace NS] [--adoption Refuse|Adopt]
                                     a local manifest, as that VidraResource's (default: one named
                                     after the file, applying to this cluster)
  vidra get [syncs|artifacts] [--sync NAME]
                                     syncs, their artifacts and health
  vidra reconcile <sync> [--timeout 5m]
                                     sync now and wait for the result (exit 0 Ready, 1 not Ready)

  --kubeconfig FILE   the operator's cluster (default: $KUBECONFIG, ~/.kube/config)
  --context NAME      a context of that kubeconfig
  --operator-namespace NS
                      where the operator runs; diff follows its app=vidra ConfigMap there (stored
                      query, fences, ServiceAccounts) (default $VIDRA_OPERATOR_NAMESPACE, else ${DEFAULT_OPERATOR_NAMESPACE})`;

const OPTIONS = {
  kubeconfig: { type: "string" },
  context: { type: "string" },
  file: { type: "string", short: "f" },
  as: { type: "string" },
  namespace: { type: "string", short: "n" },
  adoption: { type: "string" },
  sync: { type: "string" },
  timeout: { type: "string" },
  "operator-namespace": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type Connector = (flags: ClusterFlags) => CliContext;

/** Runs one command line; returns the exit code. Never prints a Secret's value. */
export async function run(argv: string[], io: Io, connector: Connector = connect): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    // node:util's errors come from another realm under Jest: not instanceof Error there.
    const message = (err as { message?: unknown }).message;
    io.err(`error: ${typeof message === "string" ? message : errorMessage(err)}\n${USAGE}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (v.help || !command) {
    (v.help ? io.out : io.err)(USAGE);
    return v.help ? 0 : 2;
  }
  let ctx: CliContext | undefined;
  try {
    const open = () => (ctx = connector({ kubeconfig: v.kubeconfig, context: v.context }));
    switch (command) {
      case "diff":
        if (rest.length > 1) throw new CliError("diff takes one InfrahubSync name");
        return await diffCommand(
          open(),
          {
            sync: rest[0],
            file: v.file,
            as: v.as,
            namespace: v.namespace,
            adoption: v.adoption,
            operatorNamespace: v["operator-namespace"] ?? operatorNamespace(),
          },
          io,
        );
      case "get": {
        const what = (rest[0] ?? "all") as GetWhat;
        if (!["all", "syncs", "artifacts"].includes(what) || rest.length > 1)
          throw new CliError(`get takes syncs or artifacts, not ${rest.join(" ")}`);
        return await getCommand(open(), { what, sync: v.sync }, io);
      }
      case "reconcile": {
        if (rest.length !== 1) throw new CliError("reconcile takes one InfrahubSync name");
        const timeoutMs = v.timeout ? parseDuration(v.timeout) : 5 * 60_000;
        return await reconcileCommand(open(), { sync: rest[0], timeoutMs }, io);
      }
      default:
        throw new CliError(`unknown command ${command}\n${USAGE}`);
    }
  } catch (err) {
    // Messages of this project's errors are scrubbed of Secret values where they are made.
    io.err(`error: ${errorMessage(err)}`);
    return 2;
  } finally {
    (ctx as CliContext | undefined)?.close();
  }
}

/** The process entry (bin/vidra.js, `npm run vidra --`): exits with the command's code. */
export function main(argv: string[] = process.argv.slice(2)): void {
  run(argv, processIo).then(
    code => process.exit(code),
    err => {
      processIo.err(`error: ${errorMessage(err)}`);
      process.exit(2);
    },
  );
}

if (require.main === module) main();
