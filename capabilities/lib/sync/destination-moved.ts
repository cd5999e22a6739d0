import { isLocalServer } from "../admission/url";
import { fromManagedResources } from "../apply/inventory";
import { OperatorError } from "../errors";
import { sameServer } from "../kube/kubeconfig";
import type { VidraResourceObject } from "./resources";

/** "" for the local cluster, else the server URL: what status.destinationServer records. */
export function destinationServerOf(vr: VidraResourceObject): string {
  const server = vr.spec?.destination?.server;
  return isLocalServer(server) ? "" : server!;
}

/**
 * The spec names another cluster than the one the managed objects live on. Applying there would
 * orphan them, and pruning there would look for them on the wrong cluster (and may delete
 * namesakes), so nothing is done until a person decides. Not retryable.
 */
export class DestinationChangedError extends OperatorError {
  constructor(name: string, from: string, to: string, managed: number) {
    const where = (s: string) => s || "the local cluster";
    super(
      `spec.destination.server changed from ${where(from)} to ${where(to)} while ${managed} object(s) ` +
        `are managed on ${where(from)}: nothing is applied or pruned. To remove them, point the ` +
        `InfrahubSync back at ${where(from)} and delete it, then create one for ${where(to)}; to leave ` +
        `them where they are, unmanaged: kubectl patch vidraresource ${name} --subresource=status ` +
        `--type=merge -p '{"status":{"managedResources":[],"managedCount":0}}' ` +
        `(then annotate it infrahub.operators.com/sync-now=<any new value> to apply at once)`,
      { reason: "DestinationChanged", retryable: false },
    );
  }
}

/** Throws when the VidraResource's objects live on another cluster than its spec names. */
export function checkDestinationUnchanged(vr: VidraResourceObject): void {
  const recorded = vr.status?.destinationServer;
  const managed = fromManagedResources(vr.status?.managedResources).length;
  // Recorded by this version on every apply; older statuses have none and are trusted.
  if (recorded === undefined || managed === 0) return;
  const now = destinationServerOf(vr);
  if (recorded === now || (recorded !== "" && now !== "" && sameServer(recorded, now))) return;
  throw new DestinationChangedError(vr.metadata.name, recorded, now, managed);
}
