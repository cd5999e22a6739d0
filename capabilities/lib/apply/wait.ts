import type { KubeObject } from "../kube/client";
import { formatRef } from "../manifest/ref";
import type { NormalizedObject } from "../manifest/types";
import { sleep, type Engine } from "./engine";
import { ApplyBlockedError } from "./types";

type Crd = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };

/**
 * Waits until each CRD is Established and its kind is served by discovery (which lags behind
 * the Established condition by a moment), so the objects of that kind can be planned next.
 */
export async function waitForCrds(
  engine: Engine,
  crds: Array<{ obj: NormalizedObject; path: string }>,
  timeoutMs: number,
): Promise<void> {
  if (crds.length === 0) return;
  const deadline = Date.now() + timeoutMs;
  const fail = (obj: NormalizedObject, why: string): ApplyBlockedError =>
    new ApplyBlockedError([
      { ref: obj.ref, subject: formatRef(obj.ref), kind: "invalid", message: why },
    ]);
  for (const { obj, path } of crds) {
    for (;;) {
      const crd = await engine.kube.getOptional<Crd>(path);
      if (crd?.status?.conditions?.some(c => c.type === "Established" && c.status === "True"))
        break;
      if (Date.now() > deadline)
        throw fail(obj, "the CustomResourceDefinition did not become Established");
      await sleep(200);
    }
    const spec = (obj.object.spec ?? {}) as {
      group?: string;
      names?: { kind?: string };
      versions?: Array<{ name?: string; served?: boolean }>;
    };
    for (const v of (spec.versions ?? []).filter(v => v.served !== false && v.name)) {
      const apiVersion = `${spec.group}/${v.name}`;
      for (;;) {
        engine.mapper.invalidate(apiVersion);
        if (await engine.mapper.resolve(apiVersion, spec.names?.kind ?? "")) break;
        if (Date.now() > deadline)
          throw fail(obj, `${apiVersion} ${spec.names?.kind} is not served by the API server`);
        await sleep(200);
      }
    }
  }
}
