import { checkDestinationUnchanged, DestinationChangedError } from "./destination-moved";
import type { VidraResourceObject } from "./resources";

const vr = (server: string | undefined, recorded: string | undefined, managed = 2) =>
  ({
    metadata: { name: "vr-1" },
    spec: { destination: server === undefined ? undefined : { server } },
    status: {
      destinationServer: recorded,
      managedResources: Array.from({ length: managed }, (_, i) => ({
        apiVersion: "v1",
        kind: "ConfigMap",
        name: `cm-${i}`,
        namespace: "ns",
      })),
    },
  }) as unknown as VidraResourceObject;

test("the same cluster, however spelled, passes", () => {
  expect(() =>
    checkDestinationUnchanged(vr("https://b.example.com", "https://B.example.com:443/")),
  ).not.toThrow();
  expect(() => checkDestinationUnchanged(vr(undefined, ""))).not.toThrow();
  expect(() => checkDestinationUnchanged(vr("https://kubernetes.default.svc", ""))).not.toThrow();
});

test("nothing recorded (an older status) or nothing managed passes", () => {
  expect(() => checkDestinationUnchanged(vr("https://c.example.com", undefined))).not.toThrow();
  expect(() =>
    checkDestinationUnchanged(vr("https://c.example.com", "https://b.example.com", 0)),
  ).not.toThrow();
});

test("another cluster while objects are managed is refused, not retried, with both ways out", () => {
  let err: unknown;
  try {
    checkDestinationUnchanged(vr("https://c.example.com", "https://b.example.com"));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DestinationChangedError);
  expect((err as DestinationChangedError).retryable).toBe(false);
  expect((err as Error).message).toContain(
    "changed from https://b.example.com to https://c.example.com while 2 object(s) are managed",
  );
  expect((err as Error).message).toContain("kubectl patch vidraresource vr-1 --subresource=status");
  expect(() => checkDestinationUnchanged(vr(undefined, "https://b.example.com"))).toThrow(
    /to the local cluster/,
  );
});
