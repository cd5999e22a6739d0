import { createTwoFilesPatch } from "diff";
import { dump } from "js-yaml";
import type { KubeObject } from "../../kube/client";
import { maskSecretPair } from "./mask-secrets";

/**
 * Without the metadata the API server writes itself, which says nothing about what a person
 * changes (kubectl diff hides managedFields the same way), and without status.
 */
function comparable(o: KubeObject | undefined): KubeObject | undefined {
  if (!o) return undefined;
  // uid and creationTimestamp never change on an update; on a create the dry-run makes up values
  // the real create will not have.
  const {
    managedFields: _mf,
    resourceVersion: _rv,
    generation: _g,
    uid: _uid,
    creationTimestamp: _ct,
    ...meta
  } = o.metadata ?? {};
  const { status: _status, ...rest } = o;
  return { ...rest, metadata: meta };
}

function yaml(o: KubeObject | undefined): string {
  return o ? dump(o, { sortKeys: true, lineWidth: -1, noRefs: true }) : "";
}

/**
 * A unified diff of one object, from the live object to what the write would leave (the dry-run's
 * answer), as YAML with sorted keys, status and server-written metadata left out, Secret values
 * masked. Empty when nothing a person would see changes. `name` is the path shown in the headers.
 */
export function objectDiff(
  name: string,
  live: KubeObject | undefined,
  after: KubeObject | undefined,
): string {
  const [before, next] = maskSecretPair(comparable(live), comparable(after));
  const a = yaml(before);
  const b = yaml(next);
  if (a === b) return "";
  const patch = createTwoFilesPatch(
    live ? `live/${name}` : "/dev/null",
    after ? `merged/${name}` : "/dev/null",
    a,
    b,
    undefined,
    undefined,
    { context: 3 },
  );
  // The library opens with a "====" separator line; the ---/+++ headers say enough.
  return patch.replace(/^=+\n/, "");
}
