/**
 * The sample InfrahubSync (hack/demo/sample-sync.yaml, Vidra's sample shape) and its credentials
 * Secret, pointed at a given Infrahub. In remote mode, without DEMO_APPLY_SAMPLE=1, they are only
 * printed: the Secret as a kubectl command that reads the values from the environment, so no
 * password or token is ever written to the terminal.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { dump, load } from "js-yaml";
import { urlHost } from "../../capabilities/lib/admission/url";
import type { KubeClient, KubeObject } from "../../capabilities/lib/kube/client";
import { INFRAHUB_URL_LABEL } from "../../capabilities/lib/sync/credentials";
import { isLabelValue } from "../../capabilities/lib/sync/secrets";
import type { InfrahubAuth } from "./demo-config";

export const SAMPLE_FILE = join(__dirname, "sample-sync.yaml");
export const SECRET_NAME = "infrahub-credentials";
export const SECRET_NAMESPACE = "default";
const FIELD_MANAGER = "vidra-pepr-demo";

export interface SyncObject extends KubeObject {
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    source: Record<string, unknown> & {
      credentialsSecretRef?: { name: string; namespace: string };
    };
    pollInterval?: string;
    [key: string]: unknown;
  };
}

/** Where the sample sync reads from and how often. */
export interface SampleTarget {
  url: string;
  branch: string;
  artifact: string;
  authKind: InfrahubAuth["kind"];
  pollInterval: string;
}

/** The sample sync for `target`: sample-sync.yaml with the address, branch, artifact and interval set. */
export function sampleSync(target: SampleTarget): SyncObject {
  const sync = load(readFileSync(SAMPLE_FILE, "utf8")) as SyncObject;
  sync.spec.source.infrahubAPIURL = target.url;
  sync.spec.source.targetBranch = target.branch;
  sync.spec.source.artefactName = target.artifact;
  sync.spec.pollInterval = target.pollInterval;
  if (target.authKind === "anonymous") delete sync.spec.source.credentialsSecretRef;
  return sync;
}

/** The Secret's labels: Vidra's infrahub-api-url=<host> when the host fits in a label value. */
function secretLabels(url: string): Record<string, string> {
  const host = urlHost(url);
  return isLabelValue(host) ? { [INFRAHUB_URL_LABEL]: host } : {};
}

/** The credentials Secret with real values (only ever sent to the API server), or none for anonymous. */
export function credentialsSecret(url: string, auth: InfrahubAuth): KubeObject | undefined {
  if (auth.kind === "anonymous") return undefined;
  const stringData =
    auth.kind === "token"
      ? { token: auth.token }
      : { username: auth.username, password: auth.password };
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: SECRET_NAME, namespace: SECRET_NAMESPACE, labels: secretLabels(url) },
    type: "Opaque",
    stringData,
  };
}

/** Server-side applies the Secret (if any) and the sync, as the field manager vidra-pepr-demo. */
export async function applySample(
  kube: KubeClient,
  sync: SyncObject,
  secret: KubeObject | undefined,
): Promise<void> {
  if (secret) {
    await kube.apply(`/api/v1/namespaces/${SECRET_NAMESPACE}/secrets/${SECRET_NAME}`, secret, {
      fieldManager: FIELD_MANAGER,
      force: true,
    });
  }
  await kube.apply(
    `/apis/infrahub.operators.com/v1alpha1/infrahubsyncs/${sync.metadata.name}`,
    sync,
    {
      fieldManager: FIELD_MANAGER,
      force: true,
    },
  );
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** What to run to create the sample by hand: a Secret command reading $INFRAHUB_* and the sync YAML. */
export function sampleInstructions(
  target: SampleTarget,
  sync: SyncObject,
  kubeconfig: string,
): string {
  const { url, authKind: auth } = target;
  const kc = `kubectl --kubeconfig ${shellQuote(kubeconfig)}`;
  const lines: string[] = [];
  if (auth !== "anonymous") {
    const from =
      auth === "token"
        ? `--from-literal=token="$INFRAHUB_TOKEN"`
        : `--from-literal=username="$INFRAHUB_USERNAME" --from-literal=password="$INFRAHUB_PASSWORD"`;
    lines.push(`${kc} create secret generic ${SECRET_NAME} -n ${SECRET_NAMESPACE} ${from}`);
    const label = secretLabels(url)[INFRAHUB_URL_LABEL];
    if (label)
      lines.push(
        `${kc} label secret ${SECRET_NAME} -n ${SECRET_NAMESPACE} ${INFRAHUB_URL_LABEL}=${label}`,
      );
  }
  lines.push(
    `${kc} apply -f - <<'EOF'`,
    dump(sync, { lineWidth: -1, noRefs: true }).trimEnd(),
    "EOF",
  );
  return lines.join("\n");
}
