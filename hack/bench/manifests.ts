import { dump } from "js-yaml";

/**
 * A large artifact: `count` objects in one namespace — mostly ConfigMaps (the bulk of real
 * generated config), some Deployments and Services, as a rendered Infrahub artifact would be.
 */
export function bulkManifest(namespace: string, count: number, revision = 1): string {
  const docs: object[] = [{ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }];
  for (let i = 1; docs.length < count; i++) {
    const name = `obj-${String(i).padStart(4, "0")}`;
    const labels = { app: name, bench: "bulk" };
    if (i % 10 === 0) {
      docs.push({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace, labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: "app", image: `registry.example.com/app:${revision}` }] },
          },
        },
      });
    } else if (i % 10 === 5) {
      docs.push({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace, labels },
        spec: { selector: labels, ports: [{ port: 80 }] },
      });
    } else {
      docs.push({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name, namespace, labels },
        data: {
          revision: String(revision),
          "settings.yaml": `id: ${i}\nreplicas: 2\nregion: eu-west\n`,
        },
      });
    }
  }
  return docs.map(d => `---\n${dump(d)}`).join("");
}

/** A small per-target artifact (Vidra's webserver demo shape without the Ingress). */
export function smallManifest(target: string, replicas = 1): string {
  const ns = `ns-${target}`;
  const labels = { app: target };
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: target, namespace: ns },
      data: { replicas: String(replicas) },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: target, namespace: ns, labels },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: "web", image: "nginx:1.27" }] },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: target, namespace: ns },
      spec: { selector: labels, ports: [{ port: 80 }] },
    },
  ]
    .map(d => `---\n${dump(d)}`)
    .join("");
}
