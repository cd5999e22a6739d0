import type { KubeClient } from "../kube/client";
import { EventRecorder } from "./events";

/** A fake API server that keeps Events by name. */
function fakeKube() {
  const events = new Map<string, Record<string, unknown>>();
  const kube = {
    async create(_path: string, body: { metadata: { name: string } }) {
      events.set(body.metadata.name, { ...body });
      return body;
    },
    async mergePatch(path: string, patch: Record<string, unknown>) {
      const name = path.split("/").pop()!;
      events.set(name, { ...events.get(name)!, ...patch });
      return events.get(name);
    },
  } as unknown as KubeClient;
  return { kube, events: () => [...events.values()] };
}

const sync = { apiVersion: "v1", kind: "InfrahubSync", name: "s", uid: "u-1" };

test("repeats of one message fold into one Event with a count", async () => {
  const { kube, events } = fakeKube();
  const rec = new EventRecorder(kube, "test");
  for (let i = 0; i < 5; i++) await rec.record(sync, "Warning", "CircuitOpen", "Infrahub is down");
  expect(events()).toHaveLength(1);
  expect(events()[0]).toMatchObject({ count: 5, message: "Infrahub is down" });
});

test("a reason whose message changes every time is combined after ten, carrying the latest", async () => {
  const { kube, events } = fakeKube();
  let t = Date.parse("2026-01-01T00:00:00Z");
  const rec = new EventRecorder(kube, "test", undefined, () => new Date(t));
  for (let i = 0; i < 40; i++) {
    t += 30_000;
    await rec.record(
      sync,
      "Warning",
      "CircuitOpen",
      `down; next try at ${new Date(t).toISOString()}`,
    );
  }
  const list = events();
  expect(list).toHaveLength(11);
  const combined = list.filter(e =>
    String(e.message).startsWith("(combined from similar events): "),
  );
  expect(combined).toHaveLength(1);
  expect(combined[0].count).toBe(30);
  expect(combined[0].message).toContain(new Date(t).toISOString());
  // Another reason of the same object is not combined with it.
  await rec.record(sync, "Warning", "AuthenticationFailed", "refused");
  expect(events().find(e => e.reason === "AuthenticationFailed")?.message).toBe("refused");
});
