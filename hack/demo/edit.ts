/**
 * `npm run demo:edit -- <target> key=value ...`: changes one webserver target's artifact in the
 * running demo's simulator, the way Infrahub re-renders an artifact after someone edits the
 * target. It talks to the simulator's control API, found through the demo's state file.
 */
import { DemoError } from "./demo-error";
import { parseEdits, parseWebserver, renderWebserver, type WebserverParams } from "./webserver";

export interface EditArgs {
  target: string;
  branch: string;
  /** Print the artifact's current content instead of changing it. */
  print: boolean;
  edits: string[];
}

export const EDIT_USAGE =
  "usage: npm run demo:edit -- <target> key=value... [--branch <name>]   e.g. web-01 replicas=5 image=nginx:1.28\n" +
  "       npm run -s demo:edit -- <target> --print [--branch <name>]     prints the artifact's manifest\n" +
  "keys: replicas, image, port (the container port), host (the Ingress host), namespace";

export function parseEditArgs(argv: string[]): EditArgs {
  const rest: string[] = [];
  let branch = "main";
  let print = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--print") print = true;
    else if (a === "--branch") {
      const next = argv[++i];
      if (!next) throw new DemoError("--branch needs a branch name, e.g. --branch feature-scale");
      branch = next;
    } else if (a.startsWith("--branch=")) branch = a.slice("--branch=".length);
    else if (a === "-h" || a === "--help") throw new DemoError(EDIT_USAGE, "Usage");
    else if (a.startsWith("-")) throw new DemoError(`unknown option ${a}\n${EDIT_USAGE}`);
    else rest.push(a);
  }
  const [target, ...edits] = rest;
  if (!target || target.includes("="))
    throw new DemoError(`name the target first, e.g. web-01\n${EDIT_USAGE}`);
  if (print && edits.length)
    throw new DemoError("--print shows the manifest; leave out the key=value changes");
  if (!print && edits.length === 0)
    throw new DemoError(`say what to change, e.g. replicas=5\n${EDIT_USAGE}`);
  return { target, branch, print, edits };
}

interface ArtifactJson {
  id: string;
  targetLabel: string;
  checksum: string | null;
  content: string | null;
}

async function call(url: string, init?: RequestInit): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    throw new DemoError(
      `the demo's simulator at ${new URL(url).origin} does not answer (${(err as Error).message}); is the demo still running?`,
      "DemoNotRunning",
    );
  }
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok)
    throw new DemoError(
      `the simulator answered ${res.status}: ${body.error ?? "no details"}`,
      "SimulatorRefused",
    );
  return body;
}

function artifactUrl(simUrl: string, args: EditArgs, suffix = ""): string {
  return `${simUrl}/__sim/artifacts/${encodeURIComponent(args.target)}${suffix}?branch=${encodeURIComponent(args.branch)}`;
}

/** What changed, for the person: "replicas 2 → 5, image nginx:1.27 → nginx:1.28". */
export function describeChanges(before: WebserverParams, after: WebserverParams): string {
  const parts = (Object.keys(after) as Array<keyof WebserverParams>)
    .filter(k => before[k] !== after[k])
    .map(k => `${k} ${before[k]} → ${after[k]}`);
  return parts.length ? parts.join(", ") : "nothing (already so)";
}

/** Runs one edit (or print) against the simulator at `simUrl`; returns what to tell the person. */
export async function runEdit(
  simUrl: string,
  args: EditArgs,
  pollInterval: string,
  push = false,
): Promise<string> {
  const current = (await call(artifactUrl(simUrl, args))) as ArtifactJson;
  if (current.content === null)
    throw new DemoError(`${args.target} on ${args.branch} has no content yet (status Pending)`);
  if (args.print) return current.content;
  const before = parseWebserver(current.content);
  const after = { ...before, ...parseEdits(args.edits) };
  const changes = describeChanges(before, after);
  if (changes.startsWith("nothing"))
    return `${args.target} on ${args.branch}: ${changes}; the artifact is unchanged`;
  const updated = (await call(artifactUrl(simUrl, args, "/content"), {
    method: "PUT",
    body: renderWebserver(after),
  })) as ArtifactJson;
  return (
    `${args.target} on ${args.branch}: ${changes}\n` +
    `artifact ${updated.id}: checksum ${current.checksum?.slice(0, 8)} → ${updated.checksum?.slice(0, 8)}\n` +
    (push
      ? `Infrahub sends a webhook: watch the demo's view pick it up within about a second (the sync also polls every ${pollInterval})`
      : `the sync polls every ${pollInterval}: watch the demo's view pick it up`)
  );
}
