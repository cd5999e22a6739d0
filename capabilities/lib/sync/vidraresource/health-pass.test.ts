import type { HealthState, VidraResourceObject } from "../resources";
import { SYNC_NOW_ANNOTATION } from "../markers";
import { onlyHealthIsDue, type LastApply } from "./health-pass";

const vr = (
  health: HealthState,
  opts: { generation?: number; observed?: number; syncNow?: string } = {},
): VidraResourceObject =>
  ({
    metadata: {
      name: "vr",
      generation: opts.generation ?? 2,
      annotations: opts.syncNow ? { [SYNC_NOW_ANNOTATION]: opts.syncNow } : {},
    },
    status: {
      observedGeneration: opts.observed ?? 2,
      health: { status: health, since: "", unhealthyCount: 0, unhealthy: [] },
    },
  }) as unknown as VidraResourceObject;

const justApplied = (over: Partial<LastApply> = {}): LastApply => ({
  generation: 2,
  syncNow: undefined,
  at: Date.now(),
  ...over,
});

test("while objects roll out after a full pass of this generation, only health is read", () => {
  expect(onlyHealthIsDue(vr("Progressing"), justApplied(), 600_000)).toBe(true);
  expect(onlyHealthIsDue(vr("Progressing"), justApplied(), 0)).toBe(true);
});

test("a full pass is due without one in this process, once settled, on a new spec, sync request or re-apply", () => {
  expect(onlyHealthIsDue(vr("Progressing"), undefined, 600_000)).toBe(false);
  expect(onlyHealthIsDue(vr("Healthy"), justApplied(), 600_000)).toBe(false);
  expect(onlyHealthIsDue(vr("Unhealthy"), justApplied(), 600_000)).toBe(false);
  expect(onlyHealthIsDue(vr("Progressing", { generation: 3 }), justApplied(), 600_000)).toBe(false);
  expect(
    onlyHealthIsDue(vr("Progressing", { generation: 3, observed: 3 }), justApplied(), 600_000),
  ).toBe(false);
  expect(onlyHealthIsDue(vr("Progressing", { syncNow: "now" }), justApplied(), 600_000)).toBe(
    false,
  );
  expect(
    onlyHealthIsDue(vr("Progressing"), justApplied({ at: Date.now() - 700_000 }), 600_000),
  ).toBe(false);
});
