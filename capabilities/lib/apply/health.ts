import { mapSettledLimit } from "../concurrency";
import { errorMessage } from "../errors";
import type { KubeObject } from "../kube/client";
import { formatRef } from "../manifest/ref";
import type { ObjectRef } from "../manifest/types";
import { objectPath, type Engine } from "./engine";
import { computeStatus, type HealthStatus } from "./kstatus";
import { summarizePodProblems } from "./kstatus/pod-problems";

/** The health of one applied object, as read now. */
export interface ObjectHealth {
  ref: ObjectRef;
  /** "Deployment/web/web-01" */
  subject: string;
  status: HealthStatus;
  /** "0/2 available: ImagePullBackOff" */
  message: string;
}

/** Kinds whose pods say why the kind is not ready (its own status only counts them). */
const POD_OWNERS = new Set([
  "apps/Deployment",
  "apps/ReplicaSet",
  "apps/StatefulSet",
  "apps/DaemonSet",
  "batch/Job",
]);

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** A LabelSelector in the query syntax of `?labelSelector=`; undefined when it selects nothing. */
export function selectorQuery(sel: LabelSelector | undefined): string | undefined {
  if (!sel) return undefined;
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const values = (e.values ?? []).join(",");
    if (e.operator === "In") parts.push(`${e.key} in (${values})`);
    else if (e.operator === "NotIn") parts.push(`${e.key} notin (${values})`);
    else if (e.operator === "Exists") parts.push(e.key);
    else if (e.operator === "DoesNotExist") parts.push(`!${e.key}`);
  }
  return parts.length ? parts.join(",") : undefined;
}

/**
 * Reads each object and assesses it with kstatus rules (./kstatus). For a workload that is not
 * Current the message gains what its pods say ("ImagePullBackOff"), from one pod list by its
 * selector; only unhealthy workloads cost that list. An object that cannot be read is Unknown; one
 * that is gone is NotFound.
 */
export async function assessHealth(engine: Engine, refs: ObjectRef[]): Promise<ObjectHealth[]> {
  const results = await mapSettledLimit(refs, engine.concurrency, async ref => {
    const subject = formatRef(ref);
    const info = await engine.mapper.resolve(ref.apiVersion, ref.kind);
    if (!info)
      return {
        ref,
        subject,
        status: "Unknown" as const,
        message: `the cluster serves no kind ${ref.kind} in ${ref.apiVersion}`,
      };
    const obj = await engine.kube.getOptional<KubeObject>(objectPath(info, ref));
    if (!obj) return { ref, subject, status: "NotFound" as const, message: "not found" };
    const r = computeStatus({ apiVersion: ref.apiVersion, kind: ref.kind, ...obj });
    let message = r.message;
    if (
      (r.status === "InProgress" || r.status === "Failed") &&
      POD_OWNERS.has(`${ref.group}/${ref.kind}`)
    ) {
      const why = await podProblems(engine, ref, obj);
      if (why) message = `${message}: ${why}`;
    }
    return { ref, subject, status: r.status, message };
  });
  return results.map((r, i) =>
    r.status === "fulfilled"
      ? r.value
      : {
          ref: refs[i],
          subject: formatRef(refs[i]),
          status: "Unknown" as const,
          message: `could not be read: ${errorMessage(r.reason)}`,
        },
  );
}

async function podProblems(
  engine: Engine,
  ref: ObjectRef,
  obj: KubeObject,
): Promise<string | undefined> {
  const selector = selectorQuery((obj.spec as { selector?: LabelSelector } | undefined)?.selector);
  if (!selector || !ref.namespace) return undefined;
  try {
    const pods = await engine.kube.list(
      `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/pods`,
      { labelSelector: selector },
    );
    return summarizePodProblems(pods.items);
  } catch {
    // Without the right to list pods the workload's own status has to do.
    return undefined;
  }
}
