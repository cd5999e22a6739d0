import { LAST_APPLIED_ANNOTATION as LAST_APPLIED } from "../../cache/bookkeeping";
import type { KubeObject } from "../../kube/client";

const MASK = "***";

function isSecret(o: KubeObject | undefined): boolean {
  return !!o && o.kind === "Secret" && (o.apiVersion === "v1" || o.apiVersion === undefined);
}

function masked(
  values: Record<string, unknown> | undefined,
  other: Record<string, unknown> | undefined,
  side: "before" | "after",
): Record<string, string> | undefined {
  if (!values || typeof values !== "object") return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    // Which keys changed is shown, as kubectl diff does; never what they hold.
    const changed = !other || !(k in other) || other[k] !== v;
    out[k] = other && changed ? `${MASK} (${side})` : MASK;
  }
  return out;
}

/**
 * The two sides of a Secret's diff with every value replaced: `***` where both sides hold the
 * same value, `*** (before)` / `*** (after)` where the value changes (kubectl diff's convention).
 * `data` and `stringData` are compared as the API server would store them: the dry-run answer
 * carries `data` only. The last-applied annotation (it copies the values) is masked too.
 * Objects of other kinds are returned as they are.
 */
export function maskSecretPair(
  before: KubeObject | undefined,
  after: KubeObject | undefined,
): [KubeObject | undefined, KubeObject | undefined] {
  if (!isSecret(before) && !isSecret(after)) return [before, after];
  const data = (o: KubeObject | undefined): Record<string, unknown> | undefined => {
    if (!o) return undefined;
    const d = { ...((o.data as Record<string, unknown>) ?? {}) };
    const sd = (o.stringData as Record<string, unknown>) ?? {};
    for (const [k, v] of Object.entries(sd))
      d[k] = Buffer.from(String(v), "utf8").toString("base64");
    return d;
  };
  const b = data(before);
  const a = data(after);
  const one = (
    o: KubeObject | undefined,
    own: Record<string, unknown> | undefined,
    other: Record<string, unknown> | undefined,
    side: "before" | "after",
  ): KubeObject | undefined => {
    if (!o) return undefined;
    const { stringData: _sd, ...rest } = o;
    const copy: KubeObject = { ...rest };
    if (own && Object.keys(own).length) copy.data = masked(own, other, side);
    else delete copy.data;
    const annotations = o.metadata?.annotations;
    if (annotations?.[LAST_APPLIED])
      copy.metadata = { ...o.metadata, annotations: { ...annotations, [LAST_APPLIED]: MASK } };
    return copy;
  };
  return [one(before, b, a, "before"), one(after, a, b, "after")];
}
