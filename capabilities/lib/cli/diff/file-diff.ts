import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import type { KubeClient } from "../../kube/client";
import type { DestinationResolver } from "../../sync/destinations";
import { vidraResourcePath, type VidraResourceObject } from "../../sync/resources";
import { CliError } from "../errors";
import type { OperatorSettings } from "../settings";
import { diffOwner, type OwnerDiff } from "./owner-diff";

export interface FileDiffOptions {
  file: string;
  /** The VidraResource the manifest is previewed as; default: one named after the file. */
  as?: string;
  /** For a VidraResource that does not exist: its destination namespace and adoption. */
  namespace?: string;
  adoption?: "Refuse" | "Adopt";
}

/** A VidraResource name from a file name: lower case, [a-z0-9.-], at most 253 characters. */
export function ownerNameFor(file: string): string {
  const stem = basename(file, extname(file))
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, "-")
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "");
  return (stem || "manifest").slice(0, 253);
}

/**
 * A local manifest previewed as the manifest of a VidraResource: an existing one (its destination,
 * adoption and inventory, so what it would prune shows too) or a new one applying to the cluster of
 * the kubeconfig.
 */
export async function diffFile(
  deps: { kube: KubeClient; destinations: DestinationResolver; settings: OperatorSettings },
  opts: FileDiffOptions,
): Promise<OwnerDiff> {
  let manifest: string;
  try {
    manifest = readFileSync(opts.file, "utf8");
  } catch {
    throw new CliError(`cannot read ${opts.file}`);
  }
  const owner = opts.as ?? ownerNameFor(opts.file);
  const existing = await deps.kube.getOptional<VidraResourceObject>(vidraResourcePath(owner));
  const spec = existing?.spec ?? {
    destination: { namespace: opts.namespace ?? "default" },
    adoption: opts.adoption ?? "Refuse",
  };
  if (existing && (opts.namespace || opts.adoption))
    throw new CliError(
      `VidraResource ${owner} exists: its own destination and adoption apply; drop --namespace and --adoption`,
    );
  return diffOwner({
    owner,
    source: `file ${opts.file}${existing ? "" : ", a new VidraResource"}`,
    manifest,
    spec,
    existing,
    destinations: deps.destinations,
    settings: deps.settings,
  });
}
