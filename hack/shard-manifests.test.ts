import { shardObjects } from "./shard-manifests";

const watcherApp = { app: "pepr-m-watcher", "pepr.dev/controller": "watcher" };
const built = () => [
  { kind: "ServiceAccount", metadata: { name: "pepr-m" } },
  {
    kind: "Deployment",
    metadata: { name: "pepr-m", labels: { "pepr.dev/controller": "admission" } },
    spec: {},
  },
  {
    kind: "Deployment",
    metadata: { name: "pepr-m-watcher", labels: { ...watcherApp } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { ...watcherApp } },
      template: {
        metadata: { labels: { ...watcherApp } },
        spec: {
          serviceAccountName: "pepr-m",
          containers: [
            {
              name: "watcher",
              env: [
                { name: "PEPR_WATCH_MODE", value: "true" },
                { name: "VIDRA_SHARD_UNLABELLED", value: "true" },
              ],
            },
          ],
        },
      },
    },
  },
  { kind: "Service", metadata: { name: "pepr-m" }, spec: { selector: { app: "pepr-m" } } },
  { kind: "Service", metadata: { name: "pepr-m-watcher" }, spec: { selector: { ...watcherApp } } },
  {
    kind: "Service",
    metadata: { name: "pepr-m-infrahub-webhooks" },
    spec: { selector: { ...watcherApp } },
  },
];

test("a shard is the built watcher under its own name and app label, with its keys, and its Services", () => {
  const docs = built();
  const out = shardObjects(docs, { name: "b", keys: ["b", "c"], unlabelled: false, replicas: 2 });
  expect(out.map(d => `${d.kind} ${d.metadata?.name}`)).toEqual([
    "Deployment pepr-m-watcher-b",
    "Service pepr-m-watcher-b",
    "Service pepr-m-infrahub-webhooks-b",
  ]);
  const [deployment, metrics, hooks] = out as unknown as Array<{
    spec: { selector?: Record<string, string> };
  }>;
  const spec = deployment.spec as unknown as {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: { serviceAccountName: string; containers: Array<{ env: unknown[] }> };
    };
  };
  const app = { app: "pepr-m-watcher-b", "pepr.dev/controller": "watcher" };
  expect(spec.replicas).toBe(2);
  expect(spec.selector.matchLabels).toEqual(app);
  expect(spec.template.metadata.labels).toEqual(app);
  expect(spec.template.spec.serviceAccountName).toBe("pepr-m");
  expect(spec.template.spec.containers[0].env).toEqual([
    { name: "PEPR_WATCH_MODE", value: "true" },
    { name: "VIDRA_SHARD_KEYS", value: "b,c" },
    { name: "VIDRA_SHARD_UNLABELLED", value: "false" },
  ]);
  expect(metrics.spec.selector).toEqual(app);
  expect(hooks.spec.selector).toEqual(app);
  // The built objects are left as they were.
  expect(docs).toEqual(built());
});

test("settings the watcher would refuse are refused here", () => {
  const opts = { name: "b", keys: ["b"], unlabelled: false, replicas: 1 };
  expect(() => shardObjects(built(), { ...opts, keys: ["-b"] })).toThrow(/not a label value/);
  expect(() => shardObjects(built(), { ...opts, keys: [] })).toThrow(/reconcile nothing/);
  expect(() => shardObjects(built(), { ...opts, name: "B!" })).toThrow(/--name/);
  expect(() => shardObjects(built(), { ...opts, replicas: 0 })).toThrow(/--replicas/);
  expect(() => shardObjects(built().slice(0, 2), opts)).toThrow(/no watcher Deployment/);
});
