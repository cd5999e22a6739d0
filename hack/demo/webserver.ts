/**
 * The demo's "transform": what Infrahub's TransformWebserver renders for one KubernetesWebserver
 * target in Vidra's demo (Namespace, Deployment, Service, Ingress), and the way back from a rendered
 * manifest to its parameters, so `npm run demo:edit -- web-01 replicas=5` can re-render an artifact
 * the way Infrahub would after someone changed the target's attribute.
 */
import { dump, loadAll } from "js-yaml";
import { DemoError } from "./demo-error";

/** The attributes of a KubernetesWebserver target that the manifest is rendered from. */
export interface WebserverParams {
  name: string;
  namespace: string;
  replicas: number;
  image: string;
  /** The container's port (Vidra's demo: `containerport`); the Service forwards port 80 to it. */
  containerPort: number;
  /** The Ingress host (Vidra's demo computes it from the name). */
  host: string;
}

/** The attributes `demo:edit` accepts, with how each is parsed and checked. */
export const EDITABLE_KEYS: Record<string, (raw: string) => Partial<WebserverParams>> = {
  replicas: raw => ({ replicas: intIn(raw, "replicas", 0, 1000) }),
  image: raw => ({ image: nonEmpty(raw, "image", /^[a-z0-9][a-z0-9._\-/:@]*$/i) }),
  port: raw => ({ containerPort: intIn(raw, "port", 1, 65535) }),
  host: raw => ({ host: nonEmpty(raw, "host", /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/) }),
  namespace: raw => ({
    namespace: nonEmpty(raw, "namespace", /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/),
  }),
};

function intIn(raw: string, key: string, min: number, max: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    throw new DemoError(`${key} must be a whole number from ${min} to ${max}, not "${raw}"`);
  }
  return n;
}

function nonEmpty(raw: string, key: string, pattern: RegExp): string {
  if (!pattern.test(raw)) throw new DemoError(`"${raw}" is not a valid ${key}`);
  return raw;
}

/** Default parameters for a target, as the demo's Infrahub data would have them. */
export function defaultParams(
  name: string,
  overrides: Partial<WebserverParams> = {},
): WebserverParams {
  return {
    name,
    namespace: `ns-${name}`,
    replicas: 1,
    image: "nginx:1.27",
    containerPort: 80,
    host: `${name}.example.com`,
    ...overrides,
  };
}

/** Renders the four documents, in Vidra's template order, as multi-document YAML. */
export function renderWebserver(p: WebserverParams): string {
  const labels = { app: p.name };
  const docs = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: p.namespace } },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: p.name, namespace: p.namespace, labels },
      spec: {
        replicas: p.replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              { name: "web", image: p.image, ports: [{ containerPort: p.containerPort }] },
            ],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: p.name, namespace: p.namespace, labels },
      spec: { selector: labels, ports: [{ name: "http", port: 80, targetPort: p.containerPort }] },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: p.name, namespace: p.namespace, labels },
      spec: {
        rules: [
          {
            host: p.host,
            http: {
              paths: [
                {
                  path: "/",
                  pathType: "Prefix",
                  backend: { service: { name: p.name, port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    },
  ];
  return docs.map(d => `---\n${dump(d, { lineWidth: -1, noRefs: true })}`).join("");
}

type Doc = {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: Record<string, unknown>;
};

/**
 * Reads the parameters back from a manifest this module rendered. A manifest edited by hand into
 * another shape is refused with a message, rather than silently losing the hand edits.
 */
export function parseWebserver(content: string): WebserverParams {
  let docs: Doc[];
  try {
    docs = (loadAll(content) as Doc[]).filter(d => d && typeof d === "object");
  } catch (err) {
    throw new DemoError(
      `the artifact is not valid YAML (${(err as Error).message.split("\n")[0]})`,
      "ManifestNotWebserver",
    );
  }
  const deployment = docs.find(d => d.kind === "Deployment");
  const ingress = docs.find(d => d.kind === "Ingress");
  const spec = deployment?.spec as
    | {
        replicas?: number;
        template?: {
          spec?: {
            containers?: Array<{ image?: string; ports?: Array<{ containerPort?: number }> }>;
          };
        };
      }
    | undefined;
  const container = spec?.template?.spec?.containers?.[0];
  const rules = (ingress?.spec as { rules?: Array<{ host?: string }> } | undefined)?.rules;
  const parsed = {
    name: deployment?.metadata?.name,
    namespace: deployment?.metadata?.namespace,
    replicas: spec?.replicas ?? 1,
    image: container?.image,
    containerPort: container?.ports?.[0]?.containerPort,
    host: rules?.[0]?.host,
  };
  const missing = Object.entries(parsed)
    .filter(([, v]) => v === undefined)
    .map(([k]) => k);
  if (missing.length) {
    throw new DemoError(
      `the artifact is not a webserver manifest of this demo (no ${missing.join(", ")}); ` +
        "replace its content with curl instead (see docs/demo.md)",
      "ManifestNotWebserver",
    );
  }
  return parsed as WebserverParams;
}

/** Parses `key=value` arguments into parameter changes; unknown keys name the known ones. */
export function parseEdits(args: string[]): Partial<WebserverParams> {
  if (args.length === 0)
    throw new DemoError(
      `say what to change, e.g. replicas=5 (keys: ${Object.keys(EDITABLE_KEYS).join(", ")})`,
    );
  let changes: Partial<WebserverParams> = {};
  for (const arg of args) {
    const i = arg.indexOf("=");
    const key = i > 0 ? arg.slice(0, i) : "";
    const parse = EDITABLE_KEYS[key];
    if (!parse) {
      throw new DemoError(
        `"${arg}" is not key=value with a known key (${Object.keys(EDITABLE_KEYS).join(", ")})`,
      );
    }
    changes = { ...changes, ...parse(arg.slice(i + 1)) };
  }
  return changes;
}
