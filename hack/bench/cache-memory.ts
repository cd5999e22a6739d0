/**
 * Heap taken by the VidraResource cache, with and without its projection (no manifest, no
 * inventory): `node --expose-gc --import tsx hack/bench/cache-memory.ts [count]`.
 */
import { ObjectCache } from "../../capabilities/lib/cache/object-cache";
import { withoutContent } from "../../capabilities/lib/cache/vidraresource-summary";
import type { VidraResourceObject } from "../../capabilities/lib/sync/resources";
import { webserverManifest } from "../../tests/support/fixtures";

const count = Number(process.argv[2] ?? 5000);

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error("run with node --expose-gc");
  collect();
}

/** A VidraResource as the watch delivers it: one artifact of four objects, applied and Ready. */
function vidraResource(i: number): VidraResourceObject {
  // Through JSON, as a watch event's object is: no strings shared between objects.
  return JSON.parse(
    JSON.stringify({
      apiVersion: "infrahub.operators.com/v1alpha1",
      kind: "VidraResource",
      metadata: {
        name: `artifact-${i}`,
        uid: `00000000-0000-0000-0000-${String(i).padStart(12, "0")}`,
        resourceVersion: String(1000 + i),
        generation: 1,
        labels: { "infrahub.operators.com/sync": `sync-${i}` },
        annotations: { "infrahub.operators.com/target": `target-${i}` },
        ownerReferences: [
          {
            apiVersion: "infrahub.operators.com/v1alpha1",
            kind: "InfrahubSync",
            name: `sync-${i}`,
            uid: `sync-uid-${i}`,
            controller: true,
          },
        ],
      },
      spec: {
        manifest: webserverManifest(`target-${i}`),
        checksum: "0123456789abcdef0123456789abcdef",
        destination: {},
        prune: true,
      },
      status: {
        managedResources: Array.from({ length: 4 }, (_, k) => ({
          apiVersion: "apps/v1",
          kind: "Deployment",
          name: `web-${i}-${k}`,
          namespace: "default",
        })),
        managedCount: 4,
        DeployState: "Succeeded",
        conditions: [
          {
            type: "Ready",
            status: "True",
            reason: "Applied",
            message: "4 objects applied",
            lastTransitionTime: new Date().toISOString(),
          },
        ],
      },
    }),
  );
}

function measure(project: boolean): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  const cache = new ObjectCache<VidraResourceObject>(project ? { project: withoutContent } : {});
  for (let i = 0; i < count; i++) cache.observe("ADDED", vidraResource(i));
  gc();
  const used = process.memoryUsage().heapUsed - before;
  if (cache.size !== count) throw new Error("the cache lost objects");
  return used;
}

const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
const full = measure(false);
const projected = measure(true);
console.log(`${count} VidraResources in the cache:`);
console.log(`  full objects:                 ${mib(full)} (${Math.round(full / count)} B each)`);
console.log(
  `  without manifest, inventory:  ${mib(projected)} (${Math.round(projected / count)} B each, ${(projected / full).toFixed(2)}x)`,
);
