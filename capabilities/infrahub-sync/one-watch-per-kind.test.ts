/**
 * Pepr opens one watch (LIST, stream, full cache) per Watch binding: the capability declares one
 * for its ConfigMaps, receiving every phase (not one for "created or updated" and one for
 * "deleted"), and none for InfrahubSyncs and VidraResources, which the operator watches itself
 * without keeping full copies of them.
 */
test("Pepr watches only the ConfigMaps, once, for every phase", () => {
  const saved = process.env.PEPR_MODE;
  // Build mode: Pepr registers every binding, and the module starts nothing (no operator, no cluster).
  process.env.PEPR_MODE = "build";
  try {
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { InfrahubSyncCapability } = require("./index") as typeof import("./index");
      const watches = InfrahubSyncCapability.bindings.filter(b => b.isWatch);
      expect(watches.map(b => [b.kind.kind, b.event]).sort()).toEqual([["ConfigMap", "*"]]);
    });
  } finally {
    if (saved === undefined) delete process.env.PEPR_MODE;
    else process.env.PEPR_MODE = saved;
  }
});
