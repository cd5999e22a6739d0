import { request } from "node:https";
import { infrahubOccurredAt, infrahubSignatureHeaders } from "../../hack/infrahub-sim";
import type { ClusterEnv } from "../support/operator-env";

/** Creates (or replaces) a webhook key Secret in pepr-system, as a user would with kubectl. */
export function createWebhookKeySecret(
  env: ClusterEnv,
  name: string,
  infrahubAPIURL: string,
  sharedKey: string,
): void {
  env.kubectlResult(["delete", "secret", "-n", "pepr-system", name, "--ignore-not-found"]);
  env.kubectl([
    "create",
    "secret",
    "generic",
    name,
    "-n",
    "pepr-system",
    `--from-literal=infrahubAPIURL=${infrahubAPIURL}`,
    `--from-literal=sharedKey=${sharedKey}`,
  ]);
  env.kubectl([
    "label",
    "secret",
    "-n",
    "pepr-system",
    name,
    "infrahub.operators.com/webhook-key=",
  ]);
}

/** A body shaped like infrahub-server 1.11.9's for an artifact event. */
export function artifactEventBody(opts: {
  artifactId: string;
  branch?: string;
  type?: string;
  eventId?: string;
  definitionName?: string;
}): Record<string, unknown> {
  return {
    data: {
      node_id: opts.artifactId,
      artifact_definition_id: "def-id",
      artifact_definition_name: opts.definitionName ?? "Webserver_Artifact_Definition",
      target_id: "target-id",
      target_kind: "KubernetesWebserver",
      checksum: "00000000000000000000000000000000",
      checksum_previous: null,
      storage_id: "storage-id",
      storage_id_previous: null,
    },
    id: opts.eventId ?? `ev-${Math.random().toString(16).slice(2)}`,
    branch: opts.branch ?? "main",
    account_id: null,
    occured_at: infrahubOccurredAt(Date.now()),
    event: opts.type ?? "infrahub.artifact.updated",
  };
}

/** Infrahub's signature headers for `payload` with `key` (at `nowMs`). */
export const signedHeaders = (key: string, payload: unknown, nowMs?: number) =>
  infrahubSignatureHeaders(key, payload, nowMs);

/** POSTs to the receiver over HTTPS, trusting the cluster CA; never throws on HTTP errors. */
export function postWebhook(
  env: ClusterEnv,
  source: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${env.module.webhookUrl}/webhooks/infrahub/${source}`,
      {
        method: "POST",
        ca: env.cluster.cp.details.caPem,
        agent: false,
        headers: { "Content-Type": "application/json", ...headers },
      },
      res => {
        let text = "";
        res.on("data", c => (text += c));
        res.on("end", () => {
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text);
          } catch {
            // empty or not JSON
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
