/** Kubernetes-style conditions (metav1.Condition) with the transition-time rule. */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export type ConditionInput = Omit<Condition, "lastTransitionTime" | "observedGeneration">;

/**
 * Returns `conditions` with `next` set: lastTransitionTime moves only when the status changes, so
 * a condition that stays True keeps the time it became True.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: ConditionInput,
  generation: number | undefined,
  now: Date,
): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex(c => c.type === next.type);
  const prev = i >= 0 ? list[i] : undefined;
  const cond: Condition = {
    ...next,
    message: oneLine(next.message),
    observedGeneration: generation,
    lastTransitionTime:
      prev && prev.status === next.status ? prev.lastTransitionTime : now.toISOString(),
  };
  if (i >= 0) list[i] = cond;
  else list.push(cond);
  return list;
}

/**
 * A condition message is one line (`kubectl get` and `describe` show it so): text that arrives
 * with line breaks from a server or parser has them folded into "; ".
 */
export function oneLine(message: string): string {
  return message
    .split(/\r?\n/)
    .map(l => l.trim())
    .filter(Boolean)
    .join("; ");
}

export function getCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find(c => c.type === type);
}

export function removeCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition[] {
  return (conditions ?? []).filter(c => c.type !== type);
}

/**
 * The three conditions a reconcile outcome maps to, the way Flux reports them:
 * - ready: Ready=True, Reconciling and Stalled removed;
 * - progressing: Reconciling=True, Ready=Unknown;
 * - failed: Ready=False; Stalled=True when retrying without a change cannot help.
 */
export function outcomeConditions(
  current: readonly Condition[] | undefined,
  outcome:
    | { kind: "ready"; reason: string; message: string }
    | { kind: "progressing"; reason: string; message: string }
    | { kind: "failed"; reason: string; message: string; stalled: boolean },
  generation: number | undefined,
  now: Date,
): Condition[] {
  let list = [...(current ?? [])];
  if (outcome.kind === "ready") {
    list = removeCondition(removeCondition(list, "Reconciling"), "Stalled");
    return setCondition(
      list,
      { type: "Ready", status: "True", reason: outcome.reason, message: outcome.message },
      generation,
      now,
    );
  }
  if (outcome.kind === "progressing") {
    list = removeCondition(list, "Stalled");
    list = setCondition(
      list,
      { type: "Reconciling", status: "True", reason: outcome.reason, message: outcome.message },
      generation,
      now,
    );
    return setCondition(
      list,
      { type: "Ready", status: "Unknown", reason: outcome.reason, message: outcome.message },
      generation,
      now,
    );
  }
  list = removeCondition(list, "Reconciling");
  list = setCondition(
    list,
    { type: "Ready", status: "False", reason: outcome.reason, message: outcome.message },
    generation,
    now,
  );
  return outcome.stalled
    ? setCondition(
        list,
        { type: "Stalled", status: "True", reason: outcome.reason, message: outcome.message },
        generation,
        now,
      )
    : removeCondition(list, "Stalled");
}
