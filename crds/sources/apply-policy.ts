import { bool, durationField, str, type Schema } from "./schema-helpers";

/**
 * How a VidraResource applies, prunes and cleans up. An InfrahubSync carries the same fields and
 * copies them to the VidraResources it creates.
 */
export const applyPolicyProperties: Record<string, Schema> = {
  suspend: bool(
    "Stop reconciling (no fetch, no apply, no prune) until set back to false. Objects stay as they are.",
    {
      default: false,
    },
  ),
  reapplyInterval: durationField(
    "How often applied objects are re-applied to repair drift",
    'the operator ConfigMap key requeueResourcesAfter applies, else "10m"',
    "every applied object would be re-applied",
  ),
  prune: bool("Delete objects that a new version of the manifest no longer contains.", {
    default: true,
  }),
  allowEmpty: bool(
    "Allow a result with no artifacts, or a manifest with no objects, to prune everything. Off by default, " +
      "so an empty answer from Infrahub never wipes a cluster.",
    { default: false },
  ),
  adoption: str(
    "What to do with an object that already exists and is not managed by this operator: Refuse (default; " +
      "reported in status) or Adopt (take it over with a forced server-side apply).",
    { enum: ["Refuse", "Adopt"], default: "Refuse" },
  ),
  deletionPolicy: str(
    "What happens to applied objects when this resource is deleted: Delete (default) or Orphan (leave them, " +
      "stripped of the operator's ownership marks). Objects another owner still lists are never deleted.",
    { enum: ["Delete", "Orphan"], default: "Delete" },
  ),
};
