import { dump } from "js-yaml";
import type { InfrahubSimulator } from "../../hack/infrahub-sim/types";

/** Vidra's demo artifact: Namespace, Deployment, Service and Ingress for one webserver target. */
export function webserverManifest(
  target: string,
  opts: { replicas?: number; namespace?: string; image?: string; port?: number } = {},
): string {
  const ns = opts.namespace ?? `ns-${target}`;
  const labels = { app: target };
  const docs = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: target, namespace: ns, labels },
      spec: {
        replicas: opts.replicas ?? 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: "web",
                image: opts.image ?? "nginx:1.27",
                ports: [{ containerPort: opts.port ?? 80 }],
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: target, namespace: ns },
      spec: { selector: labels, ports: [{ port: 80, targetPort: opts.port ?? 80 }] },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: target, namespace: ns },
      spec: {
        rules: [
          {
            host: `${target}.example.com`,
            http: {
              paths: [
                {
                  path: "/",
                  pathType: "Prefix",
                  backend: { service: { name: target, port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    },
  ];
  return docs.map(d => `---\n${dump(d)}`).join("");
}

export const WEBSERVER_DEFINITION = {
  name: "Webserver_Artifact_Definition",
  artifactName: "Webserver_Manifest",
  contentType: "application/yaml",
};

/** An InfrahubSync as JSON for kubectl. */
export function syncJson(
  name: string,
  spec: { source: Record<string, unknown>; [k: string]: unknown },
  annotations?: Record<string, string>,
): string {
  return JSON.stringify({
    apiVersion: "infrahub.operators.com/v1alpha1",
    kind: "InfrahubSync",
    metadata: { name, ...(annotations ? { annotations } : {}) },
    spec: {
      ...spec,
      source: { targetBranch: "main", artefactName: "Webserver_Manifest", ...spec.source },
    },
  });
}

/**
 * A definition (artifact name) of its own, with one artifact per target on main; returns the
 * artifacts' ids by target.
 */
export function simArtifacts(
  sim: InfrahubSimulator,
  artifactName: string,
  contents: Record<string, string>,
): Record<string, string> {
  sim.upsertDefinition({ name: `${artifactName}_Definition`, artifactName });
  const ids: Record<string, string> = {};
  for (const [target, content] of Object.entries(contents)) {
    ids[target] = sim.upsertArtifact("main", {
      definition: `${artifactName}_Definition`,
      target: { label: target },
      content,
    }).id;
  }
  return ids;
}
